"""The shipped stack: docker-compose.yml against the Compose specification, the image's Dockerfile, the
settings every deployment hands in (`.env.example`, secrets as `<NAME>_FILE`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest
import yaml
from pydantic import SecretStr

from infra.cli import PROCESSES, app
from adapters.settings import Settings, SettingsProblem, load_settings

ROOT = Path(__file__).resolve().parent.parent
SPLITS = str(Path(sys.executable).parent / "splits")
# The Compose specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json).
COMPOSE_SCHEMA = ROOT / "tests" / "schemas" / "compose-spec.json"
# The Kubernetes version the manifests are validated against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.32.0"


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def secret_settings() -> set[str]:
    return {name for name, field in Settings.model_fields.items()
            if field.annotation is not None and SecretStr in getattr(field.annotation, "__args__", (field.annotation,))}


def test_the_compose_file_follows_the_compose_specification() -> None:
    validator = jsonschema_rs.validator_for(json.loads(COMPOSE_SCHEMA.read_text()))
    problems = [str(e).splitlines()[0] for e in validator.iter_errors(compose())]
    assert problems == []


def test_every_long_running_command_has_a_service_after_the_migration() -> None:
    commands = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert set(PROCESSES) <= commands
    services = compose()["services"]
    running = {s["command"][1]: name for name, s in services.items() if s.get("command", [""])[0] == "splits"}
    assert set(PROCESSES) | {"migrate"} <= running.keys()
    assert services["migrate"]["restart"] == "no"
    for process in PROCESSES:
        depends = services[running[process]]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, process
        assert all("condition" in c for c in depends.values()), process
    assert services["relay"]["deploy"]["replicas"] == 2  # a leader and a hot standby


def test_every_service_has_a_healthcheck_and_only_the_api_is_published() -> None:
    for name, service in compose()["services"].items():
        if name != "migrate" and "profiles" not in service:
            assert service["healthcheck"].get("test"), name
            assert not service["healthcheck"].get("disable"), name
        ports = service.get("ports", [])
        if name == "api":
            assert ports == ["8000:8000"]
        elif "profiles" in service:  # opt-in, and only on this machine's loopback
            assert all(p.startswith("127.0.0.1:") for p in ports), name
        else:
            assert ports == [], f"{name} publishes {ports}"


def test_the_stack_runs_in_production_with_its_state_on_named_volumes() -> None:
    stack = compose()
    api = stack["services"]["api"]
    assert api["environment"]["ENVIRONMENT"] == "production"
    assert {"pgdata", "rabbitmq", "documents"} <= stack["volumes"].keys()
    assert "documents:/var/lib/splits/documents" in api["volumes"]
    assert stack["services"]["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert "guest" not in json.dumps(stack)


def test_every_secret_reaches_the_processes_as_a_file_and_is_documented() -> None:
    stack = compose()
    environment = stack["services"]["api"]["environment"]
    delivered = {k.removesuffix("_FILE").lower() for k in environment if k.endswith("_FILE")}
    assert secret_settings() - {"aws_secret_access_key"} <= delivered  # S3 credentials: the host's role
    assert not secret_settings() & {k.lower() for k in environment}, "a secret in a container's environment"
    for variable in delivered:
        assert stack["secrets"][variable] == {"environment": variable.upper()}
        assert variable in stack["services"]["api"]["secrets"]
    example = (ROOT / ".env.example").read_text()
    given = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert {v.upper() for v in delivered} | interpolated <= given
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_image_is_built_in_two_stages_runs_unprivileged_and_holds_no_tests() -> None:
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(stages) == 2 and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", s) for s in stages)
    assert re.search(r"^USER 10001$", dockerfile, re.M) and "HEALTHCHECK" in dockerfile
    assert "--require-hashes" in dockerfile
    copied = re.findall(r"^COPY (\S+)", dockerfile, re.M)
    assert not {"tests", "bench", "."} & {c.rstrip("/") for c in copied}
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"tests", "bench", ".env", ".git"} <= set(ignored)


def test_a_setting_can_be_given_as_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "stripe"
    secret.write_text("sk_test_from_a_file\n")
    monkeypatch.setenv("STRIPE_SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "empty"))
    (tmp_path / "empty").write_text("")
    settings = load_settings()
    assert settings.stripe_secret_key is not None
    assert settings.stripe_secret_key.get_secret_value() == "sk_test_from_a_file"
    assert settings.database_url is None  # an empty file is a setting not given
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_twice")
    with pytest.raises(SettingsProblem, match="STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are both set"):
        load_settings()


@pytest.mark.parametrize(("environment", "line"), [
    ({"DATABASE_URL_FILE": "/nonexistent/database_url"},
     "DATABASE_URL_FILE: cannot read /nonexistent/database_url (No such file or directory)"),
    ({"PORT": "eighty"}, "settings that cannot be used: PORT: Input should be a valid integer"),
])
def test_a_setting_that_cannot_be_read_stops_a_command_with_one_line(environment: dict[str, str], line: str,
                                                                      tmp_path: Path) -> None:
    done = subprocess.run([SPLITS, "migrate"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **environment})
    assert done.returncode == 2
    assert done.stderr.strip().startswith(line) and len(done.stderr.strip().splitlines()) == 1


# --- Kubernetes -------------------------------------------------------------------------------------------

K8S = ROOT / "infra" / "k8s"


def rendered(overlay: str = "production") -> list[dict]:
    """The overlay as kustomize renders it (kubectl's built-in kustomize)."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) renders infra/k8s: install it"
    done = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_every_rendered_object_is_valid_for_the_kubernetes_version_we_target() -> None:
    import kubernetes_validate

    objects = rendered()
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"splits"}


def _containers(objects: list[dict]) -> list[tuple[dict, dict]]:
    return [(o, c) for o in objects if o["kind"] in ("Deployment", "Job")
            for c in o["spec"]["template"]["spec"]["containers"]]


def test_every_process_and_every_consumer_runs_somewhere() -> None:
    from consumers.reactors import all_reactors
    from projections.registry import all_projections

    objects = rendered()
    commands = {c["args"][1] for _, c in _containers(objects)}
    assert set(PROCESSES) | {"migrate"} <= commands
    groups = [c["args"][2:] for _, c in _containers(objects) if c["args"][1] == "consumers"]
    named = [name for group in groups for flag, name in zip(group[::2], group[1::2]) if flag == "--only"]
    consumers = set(all_projections()) | {r.name for r in all_reactors()}
    assert sorted(named) == sorted(consumers), "each projection and reactor in exactly one consumers Deployment"
    by_name = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("Deployment", "Job")}
    assert by_name["splits-relay"]["spec"]["replicas"] == 2
    assert by_name["splits-scheduler"]["spec"]["replicas"] == 2
    assert by_name["splits-api"]["spec"]["replicas"] >= 2
    assert by_name["splits-migrate"]["kind"] == "Job"


def test_every_pod_is_probed_limited_scraped_and_unprivileged() -> None:
    objects = rendered()
    for owner, container in _containers(objects):
        name = owner["metadata"]["name"]
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert owner["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True, name
        if owner["kind"] == "Deployment":
            annotations = owner["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/port"] == "9100"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health", name
            assert container["readinessProbe"], name
            pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"
                    and o["spec"]["selector"]["matchLabels"] == owner["spec"]["selector"]["matchLabels"]]
            assert pdbs, f"{name} has no PodDisruptionBudget"
    api = next(c for o, c in _containers(objects) if o["metadata"]["name"] == "splits-api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    hpa = next(o for o in objects if o["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "splits-api" and hpa["spec"]["minReplicas"] >= 2
    assert any(o["kind"] == "NetworkPolicy" for o in objects)


def test_the_config_map_and_the_example_secret_cover_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = rendered()
    config = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    secret = next(o for o in objects if o["kind"] == "Secret")["stringData"]
    commented = set(re.findall(r"^\s*# ([A-Z0-9_]+):", (K8S / "base" / "config.yaml").read_text(), re.M))
    for name in Settings.model_fields:
        variable = name.upper()
        if name in secret_settings():
            assert variable in secret and config[f"{variable}_FILE"] == f"/run/secrets/{variable}", variable
        else:
            assert variable in config or variable in commented or variable.removesuffix("_FILE") in secret, variable
    assert config["ENVIRONMENT"] == "production" and config["SPLITS_DEV_AUTH"] == "false"
    for variable, value in config.items():
        if not variable.endswith("_FILE"):
            monkeypatch.setenv(variable, value)
    assert load_settings().environment == "production"  # every value parses
