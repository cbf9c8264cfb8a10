"""The state folder and its files are private to the user: 0700 and 0600, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import file_mode

from aiagentics.engine.statedir import open_private, prepare_state_dir
from aiagentics.gateway.services import build_services
from aiagentics.gateway.settings import GatewaySettings
from aiagentics.storage.sqlite.migrations import apply_migrations


def test_a_new_state_folder_is_private(tmp_path: Path, open_umask: None) -> None:
    settings = GatewaySettings(database=str(tmp_path / "proj" / ".aiagentics" / "gateway.db"))
    services = build_services(settings)
    try:
        apply_migrations(services.db)  # writes: SQLite makes -wal and -shm
        state = settings.data_dir
        assert file_mode(state) == 0o700
        names = sorted(p.name for p in state.iterdir())
        assert names == ["gateway.db", "gateway.db-shm", "gateway.db-wal", "gateway.db.lock", "secret.key"]
        assert {n: file_mode(state / n) for n in names} == dict.fromkeys(names, 0o600)
        # The project folder above it is the user's: created with the ordinary mode.
        assert file_mode(tmp_path / "proj") == 0o777
    finally:
        services.db.close()


def test_an_existing_loose_state_folder_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / ".aiagentics"
    (state / "files").mkdir(parents=True)
    for name in ("gateway.db", "gateway.db-wal", "gateway.db-shm", "secret.key", "files/file_a"):
        (state / name).write_bytes(b"")
    os.chmod(state / "files" / "file_a", 0o644)
    for path in (state, state / "files"):
        os.chmod(path, 0o755)
    for name in ("gateway.db", "gateway.db-wal", "gateway.db-shm", "secret.key"):
        os.chmod(state / name, 0o644)
    prepare_state_dir(GatewaySettings(database=str(state / "gateway.db")))
    assert file_mode(state) == file_mode(state / "files") == 0o700
    for name in ("gateway.db", "gateway.db-wal", "gateway.db-shm", "secret.key", "files/file_a"):
        assert file_mode(state / name) == 0o600, name


def test_a_folder_the_user_chose_keeps_itsfile_mode(tmp_path: Path, open_umask: None) -> None:
    chosen = tmp_path / "shared"
    chosen.mkdir(mode=0o755)
    (chosen / "notes.txt").write_text("mine")
    os.chmod(chosen / "notes.txt", 0o644)
    prepare_state_dir(GatewaySettings(database=str(chosen / "aia.db")))
    assert file_mode(chosen) == 0o755 and file_mode(chosen / "notes.txt") == 0o644
    assert file_mode(chosen / "aia.db") == 0o600


def test_open_private_sets_0600_even_on_an_existing_file(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    os.chmod(path, 0o666)
    with open_private(path) as out:
        out.write(b"new")
    assert path.read_bytes() == b"new" and file_mode(path) == 0o600
    with open_private(tmp_path / "g") as out:
        out.write(b"x")
    assert file_mode(tmp_path / "g") == 0o600
