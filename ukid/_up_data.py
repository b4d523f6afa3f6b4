"""The data directory of ``ukid up``: one directory per service (its SQLite file and keys), the
services' logs, the conformance checker's client (``check/``, :mod:`ukid._up_check_client`) and
``ukid-up.json``, which records the entity IDs the data was made for and whether
onboarding finished.

Before anything starts, :meth:`DataDir.check` looks for what would make a service start on wrong or
lost data (a database that is not SQLite, a database whose keys are gone, data made for other
ports) and raises :class:`UpError` naming the problem and the fix: a development service generates
missing keys, which would silently replace the federation's keys. Nothing is written or overwritten
until the checks pass. :meth:`DataDir.reset` deletes only what ``ukid up`` creates.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ukid._up_check_client import CHECK_DIRECTORY, KEY_FILE
from ukid._up_services import SERVICES, Service

__all__ = ["MANIFEST", "DataDir", "UpError"]

MANIFEST = "ukid-up.json"
_FORMAT = 1
_LOGS = "logs"
_SQLITE_HEADER = b"SQLite format 3\x00"
_KEY_SUFFIX = ".private.jwk"


class UpError(Exception):
    """Why the federation cannot start, and what to do about it (one line for the user)."""


class DataDir:
    """The data directory ``path`` (created mode 0700: it holds keys and personal test data)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def manifest(self) -> Path:
        """``ukid-up.json``."""
        return self.path / MANIFEST

    @property
    def logs(self) -> Path:
        """The directory of the services' logs."""
        return self.path / _LOGS

    def log_file(self, service: Service) -> Path:
        """The log file of ``service`` (its standard output and error)."""
        return self.logs / f"{service.key}.log"

    def service_dir(self, service: Service) -> Path:
        """The data directory of ``service``."""
        return self.path / service.directory

    def _fix(self, *, them: bool = False) -> str:
        what = "them" if them else "it"
        return (
            f"restore {what}, or run `ukid up --reset` to start from scratch (deletes the federation's "
            f"data in {self.path})"
        )

    # -- reading -------------------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None when there is none; :class:`UpError` when it is not valid."""
        try:
            text = self.manifest.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise UpError(f"cannot read {self.manifest} ({exc}): {self._fix()}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UpError(
                f"{self.manifest} is not valid JSON ({exc.msg}, line {exc.lineno}): {self._fix()}"
            ) from None
        ids = data.get("entity_ids") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(ids, dict):
            raise UpError(f"{self.manifest} is not a ukid up manifest (format {_FORMAT}): {self._fix()}")
        return data

    def onboarded(self) -> bool:
        """Whether onboarding finished once in this data directory."""
        data = self.read_manifest()
        return bool(data and data.get("onboarded") is True)

    # -- checks --------------------------------------------------------------------------------------
    def check(self, ids: dict[str, str], options: dict[str, str]) -> None:
        """Raise :class:`UpError` if the data directory cannot be used for the federation ``ids`` (entity
        ID by service key; ``options`` names the option setting each service's port)."""
        if self.path.exists() and not self.path.is_dir():
            raise UpError(f"the data directory {self.path} is a file: pass another --data-dir")
        manifest = self.read_manifest()
        if manifest is None:
            found = [s.directory for s in SERVICES if self.service_dir(s).exists()]
            if found:
                raise UpError(
                    f"{self.path} holds service data ({', '.join(found)}) but no {MANIFEST}: {self._fix()}"
                )
            return
        for service in SERVICES:
            was = manifest["entity_ids"].get(service.key)
            if was != ids[service.key]:
                raise UpError(
                    f"{self.path} was set up for the {service.title} at {was}, not {ids[service.key]}: "
                    f"pass the same port ({options[service.key]}), another --data-dir, or --reset to start "
                    "from scratch"
                )
        for service in SERVICES:
            self._check_service(service, onboarded=manifest.get("onboarded") is True)
        self._check_client_key()

    def _check_client_key(self) -> None:
        """The conformance checker's key (``check/client-key.json``), if there is one, is a private JWK."""
        key = self.path / CHECK_DIRECTORY / KEY_FILE
        if not key.exists():
            return
        try:
            data = json.loads(key.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UpError(
                f"the conformance checker's key {key} cannot be read ({exc}): delete it (a new one is made) "
                "or run `ukid up --reset`"
            ) from None
        if not isinstance(data, dict) or "d" not in data or "kty" not in data:
            raise UpError(
                f"the conformance checker's key {key} is not a private JWK: delete it (a new one is made) or "
                "run `ukid up --reset`"
            )

    def _check_service(self, service: Service, *, onboarded: bool) -> None:
        directory = self.service_dir(service)
        database = directory / service.database
        if not database.exists():
            if onboarded:
                raise UpError(f"the {service.title}'s database {database} is missing: {self._fix()}")
            return
        try:
            with database.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise UpError(
                f"cannot read the {service.title}'s database {database} ({exc}): {self._fix()}"
            ) from None
        if header and header != _SQLITE_HEADER:
            raise UpError(
                f"the {service.title}'s database {database} is not a SQLite database: {self._fix()}"
            )
        for key_dir in service.key_dirs:
            keys = directory / key_dir
            held = keys.is_dir() and any(p.name.endswith(_KEY_SUFFIX) for p in keys.iterdir())
            if not held:
                raise UpError(
                    f"the {service.title}'s key files in {keys} are missing (its database is there, so new "
                    f"keys would not match the federation's records): {self._fix(them=True)}"
                )
        if service.key == "idp" and not (directory / "pairwise.salt").is_file():
            raise UpError(
                f"the identity provider's pairwise salt {directory / 'pairwise.salt'} is missing (citizens' "
                f"identifiers at each service would change): {self._fix()}"
            )

    # -- writing -------------------------------------------------------------------------------------
    def prepare(self, ids: dict[str, str]) -> None:
        """Create the directories (mode 0700) and the manifest when there is none."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.logs.mkdir(mode=0o700, exist_ok=True)
        for service in SERVICES:
            self.service_dir(service).mkdir(mode=0o700, exist_ok=True)
        if self.read_manifest() is None:
            self._write({"format": _FORMAT, "entity_ids": ids, "onboarded": False})

    def mark_onboarded(self) -> None:
        """Record that onboarding finished."""
        data = self.read_manifest() or {}
        if data.get("onboarded") is not True:
            self._write({**data, "onboarded": True})

    def _write(self, data: dict[str, Any]) -> None:
        temporary = self.manifest.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        temporary.replace(self.manifest)

    def reset(self) -> list[Path]:
        """Delete what ``ukid up`` created here (service directories, the conformance checker's
        client, its logs, the manifest) and nothing else; returns what was deleted."""
        if self.path.exists() and not self.path.is_dir():
            raise UpError(f"the data directory {self.path} is a file: pass another --data-dir")
        deleted: list[Path] = []
        for service in SERVICES:
            directory = self.service_dir(service)
            if directory.is_dir() and not directory.is_symlink():
                shutil.rmtree(directory)
                deleted.append(directory)
            log = self.log_file(service)
            if log.is_file():
                log.unlink()
                deleted.append(log)
        check = self.path / CHECK_DIRECTORY
        if check.is_dir() and not check.is_symlink():
            shutil.rmtree(check)
            deleted.append(check)
        if self.logs.is_dir() and not any(self.logs.iterdir()):
            self.logs.rmdir()
        for name in (MANIFEST, f"{Path(MANIFEST).stem}.tmp"):
            if (self.path / name).is_file():
                (self.path / name).unlink()
                deleted.append(self.path / name)
        return deleted
