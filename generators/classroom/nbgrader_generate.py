"""nbgrader's generate_assignment in this process, the way nbgrader's own API runs it.

`NbGraderAPI.generate_assignment` (what the formgrader's button calls) builds nbgrader's
`GenerateAssignment` converter in its process; `assign` does the same instead of starting
`nbgrader generate_assignment` as a new Python process, which paid the interpreter and
nbgrader's imports again (about 1.5 s) for half a second of work. The converter, its
preprocessors and what it writes are nbgrader's, unchanged.

Its gradebook is a scratch one (`scratch_gradebook`): nbgrader's `Gradebook()` stamps a
new database with its alembic revision by running `alembic heads` in a new process
(about 2 s); the scratch database gets the same tables and the revision of the course's
own gradebook, so nbgrader finds it already made.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from traitlets.config import Config

from generators.errors import MercatiqueError

LOG_TAIL = 25


def _revision(db_url: str) -> str | None:
    """The alembic revision of an existing gradebook (read only), None if it has none."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no table, unreachable server: nbgrader stamps the scratch one itself
        return None
    finally:
        engine.dispose()


def scratch_gradebook(path: Path, course_db_url: str) -> str:
    """A new, empty SQLite gradebook at `path` as nbgrader makes one; returns its URL."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{path}"
    revision = _revision(course_db_url)
    if revision is None:
        return url  # nbgrader's Gradebook() creates and stamps it (the slow way)
    engine = create_engine(url)
    try:
        Base.metadata.create_all(bind=engine)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"))
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
    finally:
        engine.dispose()
    return url


def generate_assignment(config: Config) -> str:
    """nbgrader's GenerateAssignment converter with `config` (CourseDirectory.root,
    assignment_id, db_url...); returns its log, raises MercatiqueError with its end."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    log = logging.getLogger("mercatique.generate_assignment")
    log.propagate = False
    log.setLevel(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    log.addHandler(handler)
    try:
        converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config, log=log)
        converter.force = True
        converter.start()
    except Exception as exc:  # nbgrader logs the cause, then raises NbGraderException
        lines = stream.getvalue().strip().splitlines()[-LOG_TAIL:]
        if str(exc) not in "\n".join(lines):
            lines.append(f"{type(exc).__name__}: {exc}")
        raise MercatiqueError(
            "la commande « nbgrader generate_assignment » a échoué :\n" + "\n".join(lines)
        ) from None
    finally:
        log.removeHandler(handler)
    return stream.getvalue()
