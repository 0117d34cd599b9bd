"""The reports store, against SQLite and a real PostgreSQL: ingest, history, new-since, verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from tests.store.visits import KNOWN, NEW_KNOWN, SIMILAR, visit
from triage import keys
from triage.cli import cli
from triage.errors import UsageError
from triage.plan.journal import JOURNAL_DIR
from triage.report.sign import countersign
from triage.store import history, ingest_report, new_since, open_store, summary_by_month
from triage.store import store_url as resolve
from triage.store.engine import PASSWORD_FILE_ENV, schema_head
from triage.store.ingest import ALREADY, INGESTED, REFUSED
from triage.store.queries import verify_store, visits
from triage.store.schema import metadata

Lab = tuple[keys.SigningKey, keys.SigningKey, Path]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_ingest_is_verified_idempotent_and_counted_in_files(store_url: str, lab: Lab,
                                                            tmp_path: Path) -> None:
    stick, _, trusted = lab
    folder = visit(tmp_path / "v1", stick, found=[KNOWN, SIMILAR])
    code, out = _run("store", "ingest", str(folder), "--store", store_url,
                     "--trusted", str(trusted))
    assert code == 0, out
    assert "1 ingested, 0 already in the store, 0 refused." in out
    code, out = _run("store", "ingest", str(folder), "--store", store_url,
                     "--trusted", str(trusted))
    assert code == 0 and "already in the store" in out
    store = open_store(resolve(store_url))
    try:
        rows = visits(store)
        assert len(rows) == 1
        assert rows[0].findings_count == 2 and rows[0].subject == "P-1001"
        assert rows[0].status == "verified" and rows[0].complete
        assert rows[0].devices == ["serial SN-001"]
    finally:
        store.close()


@pytest.mark.parametrize("damage", ["tampered", "unsigned", "untrusted", "unfinished"])
def test_ingest_refuses_what_does_not_verify(store_url: str, lab: Lab, tmp_path: Path,
                                             damage: str) -> None:
    stick, _, trusted = lab
    key = None if damage == "unsigned" else stick
    if damage == "untrusted":
        key = keys.generate(tmp_path / "other", "stranger")
    folder = visit(tmp_path / "v", key)
    if damage == "tampered":
        data = json.loads((folder / "report.json").read_text())
        data["verdict"]["level"] = "green"
        (folder / "report.json").write_text(json.dumps(data))
    if damage == "unfinished":
        (folder / JOURNAL_DIR).mkdir()
    code, out = _run("store", "ingest", str(folder), "--store", store_url,
                     "--trusted", str(trusted))
    assert code == 4
    refusal = [line for line in out.splitlines() if "refused," in line]
    assert len(refusal) == 1 and "--accept-untrusted" in refusal[0]
    store = open_store(resolve(store_url))
    try:
        assert visits(store) == []
        outcome = ingest_report(store, folder, trusted, accept_untrusted=True)
        assert outcome.outcome == INGESTED and outcome.status == damage
        assert "accepted untrusted" in outcome.message
        (row,) = visits(store)
        assert row.status == damage and not row.countersigned
    finally:
        store.close()
    code, out = _run("store", "history", "P-1001", "--store", store_url)
    assert code == 0 and f"[{damage.upper()}]" in out


def test_history_per_person_and_per_device_with_countersignatures(store_url: str, lab: Lab,
                                                                  tmp_path: Path) -> None:
    stick, supervisor, trusted = lab
    first = visit(tmp_path / "a", stick, started="2026-01-10T09:00:00Z")
    countersign(first, supervisor, "0.1.0")
    visit(tmp_path / "b", stick, started="2026-02-10T09:00:00Z", serial="SN-777")
    visit(tmp_path / "c", stick, subject="P-2002", started="2026-02-11T09:00:00Z")
    code, out = _run("store", "ingest", str(tmp_path / "a"), str(tmp_path / "b"),
                     str(tmp_path / "c"), "--store", store_url, "--trusted", str(trusted))
    assert code == 0, out
    store = open_store(resolve(store_url))
    try:
        taken, found = history(store, "P-1001")
        assert taken == "subject" and [v.started_utc[:7] for v in found] == ["2026-01",
                                                                              "2026-02"]
        assert found[0].countersigned and "supervisor" in found[0].countersigners[0]
        assert not found[1].countersigned
        taken, found = history(store, "SN-001")
        assert taken == "device" and {v.subject for v in found} == {"P-1001", "P-2002"}
        assert history(store, "nobody") == ("nothing", [])
        assert summary_by_month(store) == [("2026-01", "red", 1), ("2026-02", "red", 2)]
    finally:
        store.close()
    code, out = _run("store", "history", "serial SN-777", "--store", store_url)
    assert code == 0 and "1 visit(s) of device serial SN-777" in out
    code, out = _run("store", "history", "nobody", "--store", store_url)
    assert code == 2 and "No visits for 'nobody'" in out


def test_new_since_compares_with_the_last_complete_visit(store_url: str, lab: Lab,
                                                         tmp_path: Path) -> None:
    stick, _, trusted = lab
    visit(tmp_path / "a", stick, started="2026-01-10T09:00:00Z", found=[KNOWN, SIMILAR])
    # The next visit ran out of time before it reached the similar picture.
    visit(tmp_path / "b", stick, started="2026-02-10T09:00:00Z", found=[KNOWN],
          complete=False)
    visit(tmp_path / "c", stick, started="2026-03-10T09:00:00Z",
          found=[KNOWN, SIMILAR, NEW_KNOWN])
    store = open_store(resolve(store_url))
    try:
        for name in "abc":
            assert ingest_report(store, tmp_path / name, trusted).outcome == INGESTED
        news = new_since(store, "P-1001")
        assert news.latest is not None and news.latest.started_utc.startswith("2026-03")
        assert news.baseline is not None and news.baseline.started_utc.startswith("2026-01")
        assert [v.started_utc[:7] for v in news.passed_over] == ["2026-02"]
        assert news.passed_over[0].incomplete_reasons == ["time budget ran out (20 min)"]
        assert [f["sha256"] for f in news.new] == [NEW_KNOWN["sha256"]]
    finally:
        store.close()
    code, out = _run("store", "new-since", "P-1001", "--store", store_url)
    assert code == 0, out
    assert ("Not used as the baseline: 2026-02-10T09:00:00Z (incomplete: time budget ran out "
            "(20 min)).") in out
    assert "1 new finding(s)." in out and "/DCIM/holiday.png" in out


def test_a_report_accepted_untrusted_is_never_the_baseline(store_url: str, lab: Lab,
                                                         tmp_path: Path) -> None:
    stick, _, trusted = lab
    visit(tmp_path / "a", stick, started="2026-01-10T09:00:00Z", found=[KNOWN])
    # b is complete but signed by a key nobody trusts: it says it saw NEW_KNOWN before.
    stranger = keys.generate(tmp_path / "other", "stranger")
    visit(tmp_path / "b", stranger, started="2026-02-10T09:00:00Z", found=[KNOWN, NEW_KNOWN])
    visit(tmp_path / "c", stick, started="2026-03-10T09:00:00Z", found=[KNOWN, NEW_KNOWN])
    store = open_store(resolve(store_url))
    try:
        for name in "abc":
            assert ingest_report(store, tmp_path / name, trusted,
                                 accept_untrusted=True).outcome == INGESTED
        news = new_since(store, "P-1001")
        assert news.baseline is not None and news.baseline.started_utc.startswith("2026-01")
        assert [v.status for v in news.passed_over] == ["untrusted"]
        assert [f["sha256"] for f in news.new] == [NEW_KNOWN["sha256"]]
    finally:
        store.close()
    code, out = _run("store", "new-since", "P-1001", "--store", store_url)
    assert code == 0, out
    assert ("Not used as the baseline: 2026-02-10T09:00:00Z (its report is untrusted "
            "(accepted untrusted)).") in out


def test_first_visit_lists_everything_and_says_why(store_url: str, lab: Lab,
                                                   tmp_path: Path) -> None:
    stick, _, trusted = lab
    visit(tmp_path / "a", stick, complete=False)
    store = open_store(resolve(store_url))
    try:
        ingest_report(store, tmp_path / "a", trusted)
        news = new_since(store, "P-1001")
        assert news.baseline is None and len(news.new) == 1
    finally:
        store.close()


def test_store_verify_finds_a_changed_folder(store_url: str, lab: Lab, tmp_path: Path) -> None:
    stick, _, trusted = lab
    folder = visit(tmp_path / "a", stick)
    code, _ = _run("store", "ingest", str(folder), "--store", store_url, "--trusted",
                   str(trusted))
    assert code == 0
    code, out = _run("store", "verify", "--store", store_url)
    assert code == 0 and "Every stored report matches its folder." in out
    with open(folder / "report.html", "a", encoding="utf-8") as handle:
        handle.write("<!-- changed -->")
    code, out = _run("store", "verify", "--store", store_url)
    assert code == 4 and "the files changed since they were ingested" in out


def test_schema_from_migrations_matches_the_tables(store_url: str) -> None:
    store = open_store(resolve(store_url))
    try:
        found = inspect(store.engine)
        for table in metadata.sorted_tables:
            assert {c["name"] for c in found.get_columns(table.name)} == set(table.c.keys())
            # Indexes by name (PostgreSQL lists a unique constraint's own index too).
            named = {i["name"] for i in found.get_indexes(table.name)
                     if "duplicates_constraint" not in i}
            assert named == {i.name for i in table.indexes}
        assert found.get_table_names().count("alembic_version") == 1
    finally:
        store.close()


def test_secrets_never_come_from_the_command_line(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match=r"holds a password; put it in \$PGPASSWORD"):
        resolve("postgresql://triage:hunter2@db.example/triage")
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    monkeypatch.setenv(PASSWORD_FILE_ENV, str(secret))
    with pytest.raises(UsageError, match="chmod 600"):
        open_store("postgresql://triage@/triage?host=/nonexistent")


def test_default_store_is_beside_the_reports(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAGE_STORE_URL", raising=False)
    monkeypatch.setenv("TRIAGE_REPORTS", str(tmp_path / "reports"))
    assert resolve(None) == f"sqlite:///{tmp_path / 'reports' / 'store.sqlite'}"
    assert resolve(str(tmp_path / "x.sqlite")) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(UsageError, match="does not exist"):
        open_store(resolve(None))


def test_restricted_postgresql_role(pg_cluster, lab: Lab, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.store import postgres

    pg_cluster.psql("DROP TABLE IF EXISTS findings, devices, reports, alembic_version CASCADE;")
    stick, _, trusted = lab
    with pytest.raises(Exception, match="triage store migrate"):
        open_store(pg_cluster.url(postgres.APP))
    code, out = _run("store", "migrate", "--store", pg_cluster.url())
    assert code == 0 and f"schema version {schema_head()}" in out
    postgres.grant_app(pg_cluster)
    code, out = _run("store", "ingest", str(visit(tmp_path / "a", stick)), "--store",
                     pg_cluster.url(postgres.APP), "--trusted", str(trusted))
    assert code == 0, out
    store = open_store(pg_cluster.url(postgres.APP))
    try:
        assert verify_store(store) == [] and len(visits(store)) == 1
        # Its devices and findings went in by COPY, which needs no more than INSERT.
        news = new_since(store, "P-1001")
        assert news.latest is not None and news.latest.devices == ["serial SN-001"]
        assert [f["sha256"] for f in news.new] == [KNOWN["sha256"]]
    finally:
        store.close()


def test_refused_outcome_is_one_sentence(store_url: str, lab: Lab, tmp_path: Path) -> None:
    store = open_store(resolve(store_url))
    try:
        outcome = ingest_report(store, visit(tmp_path / "a", None), lab[2])
        assert outcome.outcome == REFUSED and outcome.message.count(". ") == 0
        assert ALREADY != outcome.outcome
    finally:
        store.close()


def test_a_store_of_schema_1_is_migrated(store_url: str, lab: Lab, tmp_path: Path) -> None:
    from alembic import command

    from triage.store.engine import _alembic_config, schema_version

    stick, _, trusted = lab
    store = open_store(resolve(store_url))
    try:
        assert ingest_report(store, visit(tmp_path / "a", stick), trusted).outcome == INGESTED
        config = _alembic_config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        assert "findings_key" in {i["name"] for i in inspect(store.engine).get_indexes(
            "findings")}
    finally:
        store.close()
    store = open_store(resolve(store_url))
    try:
        assert schema_version(store) == schema_head() != "0001"
        assert "findings_key" not in {i["name"] for i in inspect(store.engine).get_indexes(
            "findings")}
        assert len(new_since(store, "P-1001").new) == 1
    finally:
        store.close()


def _digest_as_schema_1_wrote_it(folder: Path) -> str:
    """folder_digest as session 3 wrote it (pathlib), the oracle for stores made then."""
    import hashlib

    outer = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        inner = hashlib.sha256(path.read_bytes()).hexdigest()
        rel = path.relative_to(folder).as_posix()
        outer.update(f"{rel}\0{inner}\n".encode("utf-8", "surrogateescape"))
    return outer.hexdigest()


def test_folder_digest_is_unchanged_for_stored_reports(tmp_path: Path) -> None:
    import os

    from triage.store.ingest import folder_digest

    folder = tmp_path / "report"
    for rel, data in [("a/b", b"1"), ("a-b", b"2"), ("a.b", b""), (".hidden", b"3"),
                      ("x/y/z.json", b"4" * (3 << 20)), ("A", b"5")]:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"not UTF-8 name")
    (folder / "link").symlink_to(folder / "a-b")
    (folder / "dirlink").symlink_to(folder / "x")
    (folder / "dangling").symlink_to(folder / "nowhere")
    assert folder_digest(folder) == _digest_as_schema_1_wrote_it(folder)
    (folder / "a" / "b").write_bytes(b"changed")
    assert folder_digest(folder) == _digest_as_schema_1_wrote_it(folder)
