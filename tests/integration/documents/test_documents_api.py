"""Documents through HTTP: the limits (each refusal a problem that writes nothing), who reads and who changes
the documents of each kind of entity, the text extracted for the AI review, and the storage backends (a
local folder; an S3-compatible bucket, here a local fake driven by boto3).

The world is the applications tests' (tests/integration/ats/test_applications_api.py): a platform admin,
companies A and B with their staff, candidate C represented by a recruiter, a recruiter working with A,
the owner of A's job, a recruiter with no ties, candidates C and D. C's application to A's job is
pre-screened (both sides have a recruiter on it) and a placement credits C, their recruiter, the owner
and A's recruiter. The documents router and projection are added here while they are not wired into
the app and the consumers yet.
"""

from __future__ import annotations

import contextlib
import io
import random
import secrets
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from api.documents.routes import MAX_BODY_BYTES
from commands.ats import placement as placements
from commands.documents.document import MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES
from eventstore import EventStore
from adapters.settings import Settings
from adapters.storage import ContentNotFound, LocalStorage, S3Storage, UnsafeKey, storage_for
from projections.documents.queries import cover_letter_text_for, resume_text_for
from tests.api import running_consumers, seed_organization, seed_user, serving
from tests.fakes.s3 import FakeS3, fake_s3
from tests.integration.ats.test_applications_api import (
    CALLERS,
    CO_PERMISSIONS,
    OWNER_PERMISSIONS,
    World,
    all_projected,
    represent,
    seed_candidate,
    seed_job,
    seed_recruiter,
    stored,
    work_with,
)

PROBLEM = "application/problem+json"


# --- files -----------------------------------------------------------------------------------------------

def pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def png(size: int = 64) -> bytes:
    return (b"\x89PNG\r\n\x1a\n" + b"\x00" * size)[:max(size, 8)]


EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


# --- the world -------------------------------------------------------------------------------------------

class Docs(World):
    """The world, with uploads and a look at what the storage holds."""

    async def upload(self, caller: str, entity_type: str, entity_id: UUID, document_type: str, filename: str,
                     data: bytes, *, idempotency_key: str | None = None) -> httpx.Response:
        headers = self.headers(caller) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
        answer = await self.client.post(
            "/v1/documents", headers=headers, files={"file": (filename, data, "application/octet-stream")},
            data={"entity_type": entity_type, "entity_id": str(entity_id), "document_type": document_type})
        if answer.status_code < 300:
            self.token = answer.json()["consistency_token"] or self.token
        return answer

    def stored_files(self) -> set[str]:
        storage = self.extra["storage"]
        if isinstance(storage, FakeS3):
            return {key for _, key in storage.objects}
        return {str(p.relative_to(storage)) for p in Path(storage).rglob("*") if p.is_file()}

    def entity(self, name: str) -> tuple[str, UUID]:
        return self.extra["entities"][name]


@pytest.fixture(name="docs")
async def docs_fixture(fresh_store: EventStore, tmp_path: Path, request: pytest.FixtureRequest):
    backend = getattr(request, "param", "local")
    run = secrets.token_hex(4)  # Clerk ids unique per test: the access cache in Redis outlives the database
    ids = {caller: f"user_{caller}_{run}" for caller in CALLERS if caller != "anonymous"}
    store = fresh_store
    company_a, company_b = uuid4(), uuid4()
    await seed_user(store, ids["admin"], roles=[("platform_admin", None)])
    for caller in ("a_admin", "a_manager", "b_admin"):
        await seed_user(store, ids[caller])
    await seed_organization(store, company_a, [(ids["a_admin"], "company_admin", False),
                                               (ids["a_manager"], "hiring_manager", True)])
    await seed_organization(store, company_b, [(ids["b_admin"], "company_admin", False)])
    recruiter = {name: await seed_recruiter(store, ids[name]) for name in ("rtr", "co", "owner", "stranger")}
    candidate = {name: await seed_candidate(store, ids[name]) for name in ("cand", "cand2")}
    await represent(store, recruiter["rtr"], candidate["cand"])
    await work_with(store, recruiter["co"], company_a, CO_PERMISSIONS)
    await work_with(store, recruiter["owner"], company_a, OWNER_PERMISSIONS)
    jobs = {"a": await seed_job(store, company_a, "A owned", owner=recruiter["owner"]),
            "b": await seed_job(store, company_b, "B open")}
    with contextlib.ExitStack() as stack:
        if backend == "s3":
            s3 = stack.enter_context(fake_s3(("documents",)))
            where: Any = s3
            storage_settings: dict[str, Any] = {"s3_bucket": "documents", "s3_endpoint_url": s3.endpoint_url,
                                                "aws_access_key_id": "test", "aws_secret_access_key": "test"}
        else:
            where = tmp_path / "documents"
            storage_settings = {"documents_dir": str(where)}
        settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True,
                            redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10, **storage_settings)
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        async with (serving(store, settings, client_ip=address) as (client, system),
                    running_consumers(system, only={"ats", "identity", "network", "documents"})):
            await all_projected(store)
            world = Docs(client, store, ids, company_a, company_b, jobs, recruiter, candidate)
            world.extra["storage"] = where
            application_id = await world.apply("rtr", "a", "cand")
            await world.submitted("rtr", application_id)
            prescreen = await world.post("a_admin", f"/v1/applications/{application_id}/request-prescreen",
                                         {"company_recruiter_id": str(recruiter["co"])})
            assert prescreen.status_code == 200, prescreen.text
            placement_id = uuid4()
            await world.command(placements.placement, placement_id, placements.CreatePlacement(
                placement_id=placement_id, application_id=application_id, job_id=jobs["a"],
                candidate_id=candidate["cand"], company_id=company_a, salary_cents=12_000_000, fee_bps=2000,
                guarantee_days=90, hired_at=datetime.now(UTC), start_date=date(2026, 12, 1),
                candidate_recruiter_id=recruiter["rtr"], company_recruiter_id=recruiter["co"],
                job_owner_recruiter_id=recruiter["owner"], by="test", at=datetime.now(UTC)))
            world.extra["entities"] = {
                "candidate": ("candidate", candidate["cand"]), "job": ("job", jobs["a"]),
                "application": ("application", application_id), "company": ("company", company_a),
                "placement": ("placement", placement_id),
            }
            yield world


async def assert_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM, answer.headers
    return answer.json()


# --- limits ----------------------------------------------------------------------------------------------

async def test_files_outside_the_limits_are_problems_that_write_nothing(docs: Docs) -> None:
    kind, cand = docs.entity("candidate")
    head, files = await stored(docs.store), docs.stored_files()
    refused = [
        ("resume", "resume.pdf", b"%PDF-1.4\n" + b"0" * (MAX_DOCUMENT_BYTES - 8), 413),  # 10 MB and 1 byte
        ("resume", "setup.exe", EXE, 415),
        ("resume", "resume.pdf", EXE, 415),  # the name says PDF, the content does not
        ("resume", "resume.pdf", b"\x13\x37" * 500, 415),  # unknown bytes
        ("resume", "resume.txt", pdf("hidden"), 415),  # a PDF named as text
        ("resume", "resume.txt", b"binary\x00text", 415),
        ("resume", "resume.png", png(), 415),  # an image is not a resume
        ("profile_image", "resume.pdf", pdf("me"), 415),  # and a PDF is not a profile image
        ("profile_image", "me.png", png(MAX_IMAGE_BYTES + 1), 413),
        ("resume", "resume.pdf", b"", 422),
    ]
    for document_type, filename, data, status in refused:
        answer = await docs.upload("cand", kind, cand, document_type, filename, data)
        problem = await assert_problem(answer, status)
        assert problem["status"] == status and problem["code"], problem
    assert (await assert_problem(await docs.upload("cand", kind, cand, "resume", "resume.pdf", b"%PDF-1.4\n" + b"0" * (
        MAX_DOCUMENT_BYTES - 8)), 413))["limit_bytes"] == MAX_DOCUMENT_BYTES
    for fields, status in [({"entity_type": "recruiter"}, 422), ({"document_type": "selfie"}, 422),
                           ({"entity_id": "not-a-uuid"}, 422)]:
        form = {"entity_type": kind, "entity_id": str(cand), "document_type": "resume"} | fields
        answer = await docs.client.post("/v1/documents", headers=docs.headers("cand"), data=form,
                                        files={"file": ("resume.pdf", pdf("x"), "application/pdf")})
        await assert_problem(answer, status)
    no_file = await docs.client.post(
        "/v1/documents", headers=docs.headers("cand"), files={"x": ("a", b"", "text/plain")},
        data={"entity_type": kind, "entity_id": str(cand), "document_type": "resume"})
    await assert_problem(no_file, 422)
    await assert_problem(await docs.client.post("/v1/documents", headers=docs.headers("cand"), json={"file": "x"}), 415)
    assert await stored(docs.store) == head
    assert docs.stored_files() == files

    at_limit = await docs.upload("cand", kind, cand, "profile_image", "me.PNG", png(MAX_IMAGE_BYTES))
    assert at_limit.status_code == 201, at_limit.text
    assert at_limit.json()["data"]["content_type"] == "image/png"
    assert len(docs.stored_files()) == len(files) + 1


async def test_a_body_past_the_largest_limit_is_not_read_on(docs: Docs) -> None:
    _, cand = docs.entity("candidate")
    boundary = "documentsboundary"
    consumed = 0
    fields = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in
                     {"entity_type": "candidate", "entity_id": cand, "document_type": "resume"}.items())
    chunk = b"0" * 65536

    async def body() -> AsyncIterator[bytes]:
        nonlocal consumed
        for part in (fields.encode(), f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n'.encode()):
            consumed += len(part)
            yield part
        for _ in range(3 * MAX_BODY_BYTES // len(chunk)):
            consumed += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    head = await stored(docs.store)
    answer = await docs.client.post("/v1/documents", content=body(), headers=docs.headers("cand") | {
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    await assert_problem(answer, 413)
    assert consumed <= MAX_BODY_BYTES + 2 * len(chunk)
    assert await stored(docs.store) == head


# --- who reads and who changes ---------------------------------------------------------------------------

# Per entity, each caller's answer to listing its documents and to uploading one.
ACCESS: dict[str, dict[str, tuple[int, int]]] = {
    "candidate": {"admin": (200, 201), "cand": (200, 201), "rtr": (200, 201), "a_admin": (403, 403),
                  "a_manager": (403, 403), "b_admin": (403, 403), "co": (403, 403), "owner": (403, 403),
                  "stranger": (403, 403), "cand2": (404, 404), "anonymous": (401, 401)},
    "job": {"admin": (200, 201), "a_admin": (200, 201), "a_manager": (200, 403), "b_admin": (404, 404),
            "rtr": (200, 403), "co": (200, 403), "owner": (200, 403), "stranger": (200, 403), "cand": (200, 403),
            "cand2": (200, 403), "anonymous": (401, 401)},
    "application": {"admin": (200, 201), "cand": (200, 201), "rtr": (200, 201), "co": (200, 201),
                    "owner": (200, 201), "a_admin": (200, 201), "a_manager": (200, 201), "b_admin": (404, 404),
                    "stranger": (404, 404), "cand2": (404, 404), "anonymous": (401, 401)},
    "company": {"admin": (200, 201), "a_admin": (200, 201), "a_manager": (200, 201), "co": (403, 403),
                "owner": (403, 403), "b_admin": (404, 404), "rtr": (404, 404), "stranger": (404, 404),
                "cand": (404, 404), "cand2": (404, 404), "anonymous": (401, 401)},
    "placement": {"admin": (200, 201), "cand": (200, 201), "rtr": (200, 201), "co": (200, 201),
                  "owner": (200, 201), "a_admin": (200, 201), "a_manager": (200, 201), "b_admin": (404, 404),
                  "stranger": (404, 404), "cand2": (404, 404), "anonymous": (401, 401)},
}
DOCUMENT_TYPE = {"candidate": "resume", "job": "job_description", "application": "cover_letter",
                 "company": "company_document", "placement": "contract"}


@pytest.mark.parametrize("entity", sorted(ACCESS))
def test_every_caller_is_in_the_access_table(entity: str) -> None:
    assert set(ACCESS[entity]) == set(CALLERS)


async def test_each_entity_s_documents_are_read_and_changed_by_its_parties(docs: Docs) -> None:
    for entity, expected in ACCESS.items():
        kind, entity_id = docs.entity(entity)
        uploaded: dict[str, str] = {}
        for caller, (_, status) in expected.items():
            head, files = await stored(docs.store), docs.stored_files()
            answer = await docs.upload(caller, kind, entity_id, DOCUMENT_TYPE[entity], f"{caller} notes.txt",
                                       f"{entity} notes by {caller}".encode())
            assert answer.status_code == status, (entity, caller, answer.text)
            if status == 201:
                data = answer.json()["data"]
                assert (data["entity_type"], data["entity_id"], data["content_type"], data["text_status"]) == (
                    kind, str(entity_id), "text/plain", "extracted"), data
                uploaded[caller] = data["id"]
            else:
                assert answer.headers["content-type"] == PROBLEM
                assert await stored(docs.store) == head and docs.stored_files() == files, (entity, caller)
        admins = uploaded["admin"]
        for caller, (status, _) in expected.items():
            listed = await docs.get(caller, "/v1/documents", entity_type=kind, entity_id=str(entity_id))
            assert listed.status_code == status, (entity, caller, listed.text)
            if status == 200:
                assert {d["id"] for d in listed.json()["data"]} == set(uploaded.values()), (entity, caller)
            read = 200 if status == 200 else (401 if caller == "anonymous" else 404)
            detail = await docs.get(caller, f"/v1/documents/{admins}")
            content = await docs.get(caller, f"/v1/documents/{admins}/content")
            assert (detail.status_code, content.status_code) == (read, read), (entity, caller, content.text)
            if read == 200:
                assert detail.json()["data"]["filename"] == "admin notes.txt"
                assert content.content == f"{entity} notes by admin".encode()
                assert content.headers["content-type"].startswith("text/plain")
                assert content.headers["content-disposition"].startswith('attachment; filename="admin notes.txt"')
        head = await stored(docs.store)
        for caller, (reads, changes) in expected.items():
            if changes != 201:  # who reads the document is told they may not delete it; nobody else learns of it
                refused = await docs.delete(caller, f"/v1/documents/{admins}")
                status = 403 if reads == 200 else (401 if caller == "anonymous" else 404)
                assert refused.status_code == status, (entity, caller, refused.text)
        assert await stored(docs.store) == head
        changer = next(c for c, (_, s) in expected.items() if s == 201 and c != "admin")
        gone = await docs.delete(changer, f"/v1/documents/{admins}")
        assert gone.status_code == 200, gone.text
        again = await docs.delete(changer, f"/v1/documents/{admins}")
        assert (again.status_code, again.json()["version"]) == (200, gone.json()["version"])
        listed = await docs.get("admin", "/v1/documents", entity_type=kind, entity_id=str(entity_id))
        assert admins not in {d["id"] for d in listed.json()["data"]}
        assert (await docs.get("admin", f"/v1/documents/{admins}")).status_code == 404
        assert (await docs.get("admin", f"/v1/documents/{admins}/content")).status_code == 404
        assert not any(admins in key for key in docs.stored_files())


async def test_documents_of_entities_that_do_not_exist_are_not_found(docs: Docs) -> None:
    head = await stored(docs.store)
    for entity in ACCESS:
        answer = await docs.upload("admin", entity, uuid4(), DOCUMENT_TYPE[entity], "x.txt", b"x")
        await assert_problem(answer, 404)
        await assert_problem(await docs.get("admin", "/v1/documents", entity_type=entity, entity_id=str(uuid4())), 404)
    for path in (f"/v1/documents/{uuid4()}", f"/v1/documents/{uuid4()}/content"):
        await assert_problem(await docs.get("admin", path), 404)
    await assert_problem(await docs.delete("admin", f"/v1/documents/{uuid4()}"), 404)
    assert await stored(docs.store) == head


async def test_a_retried_upload_records_one_document(docs: Docs) -> None:
    kind, cand = docs.entity("candidate")
    files = docs.stored_files()
    first = await docs.upload("cand", kind, cand, "resume", "cv.md", b"# CV", idempotency_key="cv-1")
    second = await docs.upload("cand", kind, cand, "resume", "cv.md", b"# CV", idempotency_key="cv-1")
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["id"] == second.json()["id"] and first.json()["version"] == second.json()["version"]
    listed = await docs.get("cand", "/v1/documents", entity_type=kind, entity_id=str(cand))
    assert [d["id"] for d in listed.json()["data"]] == [first.json()["id"]]
    assert len(docs.stored_files()) == len(files) + 1


# --- text for the AI review ------------------------------------------------------------------------------

@pytest.mark.parametrize("docs", ["s3"], indirect=True)
async def test_extracted_text_feeds_the_review(docs: Docs) -> None:
    """On the S3 backend: the content goes to the bucket and comes back from it."""
    _, cand = docs.entity("candidate")
    _, application = docs.entity("application")

    async def texts() -> tuple[str | None, str | None]:
        await docs.get("admin", "/v1/documents", entity_type="candidate", entity_id=str(cand))  # waits for the token
        async with docs.store.pool.connection() as conn:
            return await resume_text_for(conn, cand, application), await cover_letter_text_for(conn, application)

    assert await texts() == (None, None)
    resume = await docs.upload("cand", "candidate", cand, "resume", "Resume.PDF", pdf("Senior Python engineer"))
    assert resume.status_code == 201, resume.text
    assert (resume.json()["data"]["text_status"], resume.json()["data"]["content_type"]) == (
        "extracted", "application/pdf")
    newer = await docs.upload("cand", "candidate", cand, "resume", "resume.docx", docx())
    assert newer.json()["data"]["text_status"] == "unsupported"
    assert "Word" in newer.json()["data"]["text_reason"]
    scanned = await docs.upload("cand", "candidate", cand, "resume", "scan.pdf", pdf(""))
    assert scanned.json()["data"]["text_status"] == "empty"
    assert await texts() == ("Senior Python engineer", None)

    tailored = await docs.upload("rtr", "application", application, "resume", "tailored.md",
                                 "# Tailored\nDjango, PostgreSQL \u2014 8 years\n".encode())
    letter = await docs.upload("cand", "application", application, "cover_letter", "letter.txt",
                               b"\xef\xbb\xbfDear team,\nI would love to join.\xff\n")
    assert tailored.status_code == letter.status_code == 201, letter.text
    assert await texts() == ("# Tailored\nDjango, PostgreSQL \u2014 8 years", "Dear team,\nI would love to join.\ufffd")
    async with docs.store.pool.connection() as conn:
        assert await resume_text_for(conn, cand) == "Senior Python engineer"  # no application: the candidate's

    assert (await docs.delete("rtr", f"/v1/documents/{tailored.json()['id']}")).status_code == 200
    assert (await docs.delete("cand", f"/v1/documents/{letter.json()['id']}")).status_code == 200
    assert await texts() == ("Senior Python engineer", None)

    download = await docs.get("rtr", f"/v1/documents/{resume.json()['id']}/content")
    assert download.content == pdf("Senior Python engineer")
    assert download.headers["content-type"] == "application/pdf"
    s3: FakeS3 = docs.extra["storage"]
    assert all(authorized for _, _, authorized in s3.requests)
    assert {path.split("/")[1] for _, path, _ in s3.requests} == {"documents"}  # path-style addressing
    assert len(s3.objects) == 3


@pytest.mark.parametrize("docs", ["s3"], indirect=True)
async def test_a_storage_outage_records_no_upload_and_a_delete_is_finished_by_sending_it_again(docs: Docs) -> None:
    _, cand = docs.entity("candidate")
    kept = await docs.upload("cand", "candidate", cand, "resume", "cv.txt", b"Python")
    s3: FakeS3 = docs.extra["storage"]
    head, objects = await stored(docs.store), dict(s3.objects)
    s3.buckets.discard("documents")
    await assert_problem(await docs.upload("cand", "candidate", cand, "resume", "cv2.txt", b"Go"), 503)
    assert (await stored(docs.store), s3.objects) == (head, objects)
    await assert_problem(await docs.get("cand", f"/v1/documents/{kept.json()['id']}/content"), 503)
    await assert_problem(await docs.delete("cand", f"/v1/documents/{kept.json()['id']}"), 503)
    assert await stored(docs.store) == head + 1 and s3.objects == objects  # recorded, the file still there
    s3.buckets.add("documents")
    assert (await docs.delete("cand", f"/v1/documents/{kept.json()['id']}")).status_code == 200
    assert await stored(docs.store) == head + 1 and s3.objects == {}


# --- the backends ----------------------------------------------------------------------------------------

async def test_s3_storage_puts_gets_and_deletes_objects() -> None:
    with fake_s3(("documents",)) as s3:
        settings = Settings(s3_bucket="documents", s3_endpoint_url=s3.endpoint_url, aws_access_key_id="key",
                            aws_secret_access_key="secret", aws_region="eu-west-1")
        storage = storage_for(settings)
        assert isinstance(storage, S3Storage)
        key = f"candidate/{uuid4()}/resume"
        assert not await storage.exists(key)
        await storage.put(key, b"%PDF-1.4 content", "application/pdf")
        assert (await storage.exists(key), await storage.get(key)) == (True, b"%PDF-1.4 content")
        assert s3.objects[("documents", key)].content_type == "application/pdf"
        await storage.delete(key)
        await storage.delete(key)  # nothing there: not an error
        with pytest.raises(ContentNotFound):
            await storage.get(key)
        with pytest.raises(UnsafeKey):
            await storage.put("../elsewhere", b"x", "text/plain")
        assert {method for method, _, _ in s3.requests} == {"PUT", "GET", "HEAD", "DELETE"}
        assert all(path == f"/documents/{key}" and authorized for _, path, authorized in s3.requests)


async def test_local_storage_writes_atomically_and_refuses_keys_leading_elsewhere(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    storage = storage_for(Settings(documents_dir=str(folder)))
    assert isinstance(storage, LocalStorage)
    await storage.put("job/1/a", b"first", "text/plain")
    await storage.put("job/1/a", b"second", "text/plain")
    assert await storage.get("job/1/a") == b"second"
    assert [p.name for p in (folder / "job" / "1").iterdir()] == ["a"]  # no temporary file left behind
    (tmp_path / "secret").write_bytes(b"outside")
    for key in ("../secret", "job/../../secret", "/etc/passwd", "job//a", "./job/1/a", "job\\..\\secret", "",
                "job/1/a\x00", "job/.."):
        for attempt in (storage.get(key), storage.put(key, b"x", "text/plain"), storage.delete(key),
                        storage.exists(key)):
            with pytest.raises(UnsafeKey):
                await attempt
    (folder / "job" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeKey):
        await storage.get("job/link/secret")
    assert (tmp_path / "secret").read_bytes() == b"outside"
    await storage.delete("job/1/a")
    assert not await storage.exists("job/1/a")
    with pytest.raises(ContentNotFound):
        await storage.get("job/1/a")
