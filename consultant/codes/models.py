"""Tables of code knowledge.

Every fact row belongs to a :class:`DataRelease`, so several releases of the
same kind live side by side and a lookup can say which release answered.
Dates that a source gives only as a year (the NCCI add-on CSV) are stored as
1 January of that year for an effective date and 31 December for a deletion.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db import Base

# BIGINT on PostgreSQL, but INTEGER on SQLite so the column is the rowid alias.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class DataRelease(Base):
    """One imported file's release: its kind, name, effective date and where it came from."""

    __tablename__ = "data_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), unique=True)
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Code(Base):
    """A code known to a release: its system, its status and, when deleted, when and by what."""

    __tablename__ = "code"
    __table_args__ = (UniqueConstraint("release_id", "code"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5), index=True)
    system: Mapped[str] = mapped_column(String(10))
    # The HCPCS action code or our own status letter; None when the source gives none.
    status: Mapped[str | None] = mapped_column(String(2))
    added_on: Mapped[dt.date | None] = mapped_column(Date)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    replaced_by: Mapped[str | None] = mapped_column(String(120))


class Descriptor(Base):
    """The words for a code from one source: licensed CPT, HCPCS long/short, or our summary."""

    __tablename__ = "descriptor"
    __table_args__ = (UniqueConstraint("release_id", "code", "source"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5), index=True)
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class AddOnEdit(Base):
    """An NCCI add-on code edit: the add-on, one acceptable primary (or none), the edit type."""

    __tablename__ = "addon_edit"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    add_on_code: Mapped[str] = mapped_column(String(5))
    # None where CMS writes CCCCC: no list, the contractor decides the primary.
    primary_code: Mapped[str | None] = mapped_column(String(5))
    edit_type: Mapped[int] = mapped_column(SmallInteger)
    add_on_deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    primary_deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


Index("ix_addon_edit_release_add_on", AddOnEdit.release_id, AddOnEdit.add_on_code)


class PtpEdit(Base):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1 unless allowed."""

    __tablename__ = "ptp_edit"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    column_1: Mapped[str] = mapped_column(String(5))
    column_2: Mapped[str] = mapped_column(String(5))
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    # 0 never together; 1 allowed with an NCCI-associated modifier; 9 the edit does not apply.
    modifier_indicator: Mapped[int] = mapped_column(SmallInteger)
    rationale: Mapped[str | None] = mapped_column(Text)


Index("ix_ptp_edit_release_pair", PtpEdit.release_id, PtpEdit.column_1, PtpEdit.column_2)


class MedicallyUnlikelyEdit(Base):
    """The most units of a code one provider reports for one patient per line or per day."""

    __tablename__ = "mue"
    __table_args__ = (UniqueConstraint("release_id", "code"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    value: Mapped[int] = mapped_column(Integer)
    # 1 per claim line; 2 per day (policy); 3 per day (clinical).
    adjudication_indicator: Mapped[int] = mapped_column(SmallInteger)
    rationale: Mapped[str | None] = mapped_column(Text)


class FeeScheduleIndicator(Base):
    """Physician fee schedule payment indicators of a code (and modifier), never its description."""

    __tablename__ = "fee_schedule_indicator"
    __table_args__ = (UniqueConstraint("release_id", "code", "modifier"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")
    status: Mapped[str] = mapped_column(String(1))
    pctc: Mapped[str | None] = mapped_column(String(2))
    global_days: Mapped[str | None] = mapped_column(String(3))
    mult_proc: Mapped[str | None] = mapped_column(String(2))
    bilat_surg: Mapped[str | None] = mapped_column(String(2))
    asst_surg: Mapped[str | None] = mapped_column(String(2))
    co_surg: Mapped[str | None] = mapped_column(String(2))
    team_surg: Mapped[str | None] = mapped_column(String(2))
    endo_base: Mapped[str | None] = mapped_column(String(5))


class CodingNote(Base):
    """A curated coding note in the project's own words: the codes it concerns, when it is
    in force, and the public CMS source it rests on (``consultant/codes/notes/notes.csv``).

    ``codes`` holds the note's code terms as written in the file, space-separated: a code
    (``G2211``), a modifier (``25``), a range (``99202-99215``), a pair (``29880+G0289``) or
    ``*`` (any other code named); :mod:`consultant.codes.note_terms` reads them.
    """

    __tablename__ = "coding_note"
    __table_args__ = (UniqueConstraint("release_id", "note_id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("data_release.id", ondelete="CASCADE"))
    note_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    codes: Mapped[str] = mapped_column(Text)
    # In force from effective_from through effective_to (its last day); None: still in force.
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    citation_url: Mapped[str | None] = mapped_column(Text)
