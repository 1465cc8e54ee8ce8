"""Audit exports of a placement's money trail, for billing disputes: the streams a bundle holds (`trail`), the
signed bundle and its verification (`bundle`), who is who in it by name and role (`parties`), and the files a
person reads in it, `timeline.csv` and `report.html`, computed from the exported events and those names (`report`,
with its money table in `money` and `money_fold`, its timeline in `narrator` and `timeline_csv`, and its page in
`templates/report.html.j2`).

Not a read schema: nothing here declares tables or handlers, and this package imports nothing on purpose.
"""
