"""The organisation directory: every organisation the installation knows, reused across letters.

An organisation has its two names, other spellings (:class:`OrganizationAlias`: what an import
or a coordinator wrote), focal-point emails (:class:`OrganizationEmail`, one of them the
primary, which picking from the directory invites; an invitation carries its own address), an
optional country and tags. Names, aliases and tags are compared through the one folding of
:mod:`.imports.folding` (Arabic letter variants and diacritics; English case, punctuation and
"the"), stored as indexed keys: a search is an indexed equality on the keys for exact folded
matches and a ``LIKE`` on them for partial ones.

Adding an organisation that looks like an existing one, or renaming one so that it does, warns
(:func:`similar_organizations`) but never refuses. Editing an entry (:func:`edit_organization`)
changes only the directory: a closed letter's list keeps the names its signatories confirmed,
and a name replaced stays an alias, so the old spelling still finds the entry.
Merging moves invitations, answers, published-list entries, aliases, emails and tags to the
entry kept and deletes the other; it is refused when both entries are on one letter's list
(:class:`MergeConflict`), since a letter cannot list one organisation twice.
Services never commit.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    AliasSource,
    ImportCreatedOrganization,
    ImportedSignatory,
    Invitation,
    Letter,
    LetterRevision,
    LetterStatus,
    Organization,
    OrganizationAlias,
    OrganizationEmail,
    OrganizationTag,
    Signature,
    User,
)
from . import audit, permissions
from .imports import folding
from .names import clean_email

PER_PAGE = 50
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
TAG_MAX_LENGTH = 100
_TAG_SEPARATORS = re.compile(r"[,،;\n]")


def search_key(text: str) -> str:
    """The folded form a query is matched with; a query of ignored words only ("the") folds whole."""
    return folding.name_key(text) or folding.fold(text)


def parse_tags(text: str) -> list[str]:
    """Tags as typed, separated by commas (Latin or Arabic) or semicolons; each once, up to folding."""
    seen: dict[str, str] = {}
    for raw in _TAG_SEPARATORS.split(text or ""):
        name = " ".join(raw.split())[:TAG_MAX_LENGTH]
        key = folding.fold(name)
        if key and key not in seen:
            seen[key] = name
    return list(seen.values())


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class HistoryEntry:
    letter_id: int
    title: str
    answer: str  # an InvitationState value, or "published" for a list signed elsewhere


@dataclass
class DirectoryPage:
    organizations: list[Organization]
    history: dict[int, list[HistoryEntry]]
    total: int
    number: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def _search_condition(key: str):
    """Organisations whose names or aliases fold to ``key`` or contain it."""
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    alias_ids = select(OrganizationAlias.organization_id).where(
        or_(OrganizationAlias.key == key, OrganizationAlias.key.like(pattern, escape="\\"))
    )
    return or_(
        Organization.name_en_folded == key,
        Organization.name_ar_folded == key,
        Organization.name_en_folded.like(pattern, escape="\\"),
        Organization.name_ar_folded.like(pattern, escape="\\"),
        Organization.id.in_(alias_ids),
    )


def organization_conditions(search: str = "", tag: str = "") -> list:
    """WHERE conditions on Organization: names or aliases matching ``search`` across spelling
    variants, and carrying ``tag``. Shared by the directory and the letter page's list."""
    conditions = []
    key = search_key(search)
    if key:
        conditions.append(_search_condition(key))
    tag_key = folding.fold(tag)
    if tag_key:
        conditions.append(
            Organization.id.in_(select(OrganizationTag.organization_id).where(OrganizationTag.key == tag_key))
        )
    return conditions


def directory_query(search: str = "", tag: str = "") -> Select:
    return select(Organization).where(*organization_conditions(search, tag))


def _ordered(query: Select, search: str) -> Select:
    """Exact folded matches first, then by name."""
    key = search_key(search)
    order = []
    if key:
        exact = or_(Organization.name_en_folded == key, Organization.name_ar_folded == key)
        order.append(exact.desc())
    sort_name = func.coalesce(func.nullif(Organization.name_en_folded, ""), Organization.name_ar_folded)
    return query.order_by(*order, sort_name, Organization.id)


def directory_page(
    *,
    search: str = "",
    tag: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    language: str = "en",
    viewer: User | None = None,
) -> DirectoryPage:
    """One page of the directory, with each entry's aliases, tags and history loaded.

    A constant number of queries whatever the directory's size: the count, the page (aliases,
    tags and emails by ``selectinload``), and the history of the page's entries (:func:`history_of`).
    """
    query = directory_query(search, tag)
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    organizations = list(
        db.session.scalars(
            _ordered(query, search)
            .options(
                selectinload(Organization.aliases),
                selectinload(Organization.tags),
                selectinload(Organization.emails),
            )
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
    )
    history = history_of([o.id for o in organizations], language, viewer=viewer)
    return DirectoryPage(organizations, history, total, number, per_page)


def history_of(
    organization_ids: list[int], language: str = "en", *, viewer: User | None = None
) -> dict[int, list[HistoryEntry]]:
    """The letters each organisation was invited to (with its answer) or is listed on as published.

    With a ``viewer``, only the letters they may see (services.permissions); without, all.
    """
    history: dict[int, list[HistoryEntry]] = defaultdict(list)
    if not organization_ids:
        return history
    invited = db.session.execute(
        select(Invitation.organization_id, Invitation.letter_id, Invitation.state)
        .where(Invitation.organization_id.in_(organization_ids))
        .order_by(Invitation.letter_id)
    ).all()
    published = db.session.execute(
        select(ImportedSignatory.organization_id, ImportedSignatory.letter_id)
        .where(ImportedSignatory.organization_id.in_(organization_ids))
        .distinct()
        .order_by(ImportedSignatory.letter_id)
    ).all()
    letter_ids = {row.letter_id for row in [*invited, *published]}
    if viewer is not None:
        letter_ids = permissions.visible_letter_ids(viewer, letter_ids)
        invited = [row for row in invited if row.letter_id in letter_ids]
        published = [row for row in published if row.letter_id in letter_ids]
    titles = letter_titles(letter_ids, language)
    for organization_id, letter_id, state in invited:
        history[organization_id].append(HistoryEntry(letter_id, titles.get(letter_id, ""), state.value))
    for listed_id, letter_id in published:
        if listed_id is not None:
            history[listed_id].append(HistoryEntry(letter_id, titles.get(letter_id, ""), "published"))
    return history


def letter_titles(letter_ids: Iterable[int], language: str) -> dict[int, str]:
    """Each letter's title from its newest revision, in one query."""
    letter_ids = list(letter_ids)
    if not letter_ids:
        return {}
    newest = (
        select(LetterRevision.letter_id, func.max(LetterRevision.number).label("number"))
        .where(LetterRevision.letter_id.in_(letter_ids))
        .group_by(LetterRevision.letter_id)
        .subquery()
    )
    revisions = db.session.scalars(
        select(LetterRevision).join(
            newest,
            (newest.c.letter_id == LetterRevision.letter_id) & (newest.c.number == LetterRevision.number),
        )
    )
    return {r.letter_id: r.display_title(language) or f"#{r.letter_id}" for r in revisions}


def all_tags() -> list[str]:
    """Every tag in use, once each (the spelling of its first use), for the filter."""
    rows = db.session.execute(
        select(OrganizationTag.key, func.min(OrganizationTag.name)).group_by(OrganizationTag.key)
    ).all()
    return sorted(name for _key, name in rows)


# --------------------------------------------------------------------------- adding


def similar_organizations(name_en: str, name_ar: str, *, exclude_id: int | None = None) -> list[Organization]:
    """Entries whose names or aliases fold like either name: one indexed query."""
    keys = {k for k in (folding.name_key(name_en or ""), folding.name_key(name_ar or "")) if k}
    if not keys:
        return []
    alias_ids = select(OrganizationAlias.organization_id).where(OrganizationAlias.key.in_(keys))
    query = select(Organization).where(
        or_(
            Organization.name_en_folded.in_(keys),
            Organization.name_ar_folded.in_(keys),
            Organization.id.in_(alias_ids),
        )
    )
    if exclude_id is not None:
        query = query.where(Organization.id != exclude_id)
    return list(db.session.scalars(query.order_by(Organization.id)))


def add_organization(
    *,
    name_en: str,
    name_ar: str,
    email: str = "",
    country: str = "",
    tags: Iterable[str] = (),
    by: User | None,
) -> Organization:
    """A new directory entry, even if it looks like an existing one (the caller warned first)."""
    organization = Organization(
        name_en=name_en.strip(), name_ar=name_ar.strip(), email=(email or "").strip(), country=country.strip()
    )
    db.session.add(organization)
    set_tags(organization, tags)
    db.session.flush()
    audit.record(
        "organization.added",
        user=by,
        organization=organization.id,
        name_en=organization.name_en,
        name_ar=organization.name_ar,
    )
    return organization


def set_tags(organization: Organization, tags: Iterable[str]) -> None:
    wanted = {folding.fold(name): name for name in tags if folding.fold(name)}
    for tag in list(organization.tags):
        if tag.key not in wanted:
            organization.tags.remove(tag)
    have = {tag.key for tag in organization.tags}
    for key, name in wanted.items():
        if key not in have:
            organization.tags.append(OrganizationTag(name=name[:TAG_MAX_LENGTH], key=key))


def remember_spellings(spellings: Iterable[tuple[Organization, str, str]], source: AliasSource) -> int:
    """Keep each (organisation, language, spelling) as an alias unless the entry already has it.

    A spelling that folds like one of the entry's names or aliases adds nothing. Returns how
    many aliases were added. One query for the existing aliases, whatever the number.
    """
    spellings = [(o, language, " ".join(s.split())) for o, language, s in spellings if s and s.strip()]
    if not spellings:
        return 0
    db.session.flush()
    ids = {o.id for o, _language, _spelling in spellings}
    known: set[tuple[int, str]] = {
        (organization_id, key)
        for organization_id, key in db.session.execute(
            select(OrganizationAlias.organization_id, OrganizationAlias.key).where(
                OrganizationAlias.organization_id.in_(ids)
            )
        )
    }
    added = 0
    for organization, language, spelling in spellings:
        key = folding.name_key(spelling)
        if not key or key in (organization.name_en_folded, organization.name_ar_folded):
            continue
        if (organization.id, key) in known:
            continue
        known.add((organization.id, key))
        db.session.add(
            OrganizationAlias(
                organization_id=organization.id,
                language=language,
                spelling=spelling[:300],
                key=key,
                source=source,
            )
        )
        added += 1
    db.session.flush()
    return added


# --------------------------------------------------------------------------- merging


class MergeConflict(ValueError):
    """Both entries are on the same letters' lists: merging would list one organisation twice."""

    def __init__(self, letter_ids: list[int]):
        super().__init__(f"both organisations are invited to letters {letter_ids}")
        self.letter_ids = letter_ids


class MergeOnClosedLetter(ValueError):
    """An entry is invited to a letter whose signing is closed: its list is frozen until reopened."""

    def __init__(self, letter_ids: list[int]):
        super().__init__(f"letters {letter_ids} are closed: reopen signing to change their lists")
        self.letter_ids = letter_ids


class SameOrganization(ValueError):
    """An entry cannot be merged into itself."""


def shared_letters(keep: Organization, other: Organization) -> list[int]:
    """Letters whose list (invitations or a published list) holds both entries."""
    both = (
        select(Invitation.letter_id)
        .where(Invitation.organization_id.in_([keep.id, other.id]))
        .group_by(Invitation.letter_id)
        .having(func.count(func.distinct(Invitation.organization_id)) > 1)
    )
    return sorted(db.session.scalars(both))


def closed_letters(keep: Organization, other: Organization) -> list[int]:
    """Closed letters that invite either entry: a merge would change their frozen lists' records.

    (A published list of an imported letter keeps the names it printed, whichever entry its rows
    point to, so imported lists do not block a merge.)
    """
    return sorted(
        set(
            db.session.scalars(
                select(Invitation.letter_id)
                .join(Letter, Letter.id == Invitation.letter_id)
                .where(
                    Invitation.organization_id.in_([keep.id, other.id]),
                    Letter.status == LetterStatus.CLOSED,
                )
            )
        )
    )


def merge_organizations(
    keep: Organization, other: Organization, *, by: User | None, ip_address: str = ""
) -> None:
    """Move everything of ``other`` to ``keep`` and delete ``other``; refuse (MergeConflict) when
    both are invited to one letter.

    ``other``'s names become aliases of ``keep`` (source "merge"), as do its aliases; its tags
    and emails are added (``keep``'s primary email stays primary; if it had none, ``other``'s
    becomes it); its country fills ``keep``'s if empty. Published-list entries move too: a
    published list that named both keeps both rows, which now point to one organisation (the
    published text is not ours to change). Refuses (MergeOnClosedLetter)
    when either entry is invited to a closed letter: its list is frozen until signing reopens.
    """
    if keep.id == other.id:
        raise SameOrganization(keep.id)
    closed = closed_letters(keep, other)
    if closed:
        raise MergeOnClosedLetter(closed)
    conflicts = shared_letters(keep, other)
    if conflicts:
        raise MergeConflict(conflicts)
    moved_invitations = int(
        db.session.scalar(select(func.count()).where(Invitation.organization_id == other.id)) or 0
    )
    db.session.execute(
        update(Invitation).where(Invitation.organization_id == other.id).values(organization_id=keep.id)
    )
    db.session.execute(
        update(Signature).where(Signature.organization_id == other.id).values(organization_id=keep.id)
    )
    db.session.execute(
        update(ImportedSignatory)
        .where(ImportedSignatory.organization_id == other.id)
        .values(organization_id=keep.id)
    )
    # The record of which import created an entry follows the entry, unless keep has it already.
    created = set(
        db.session.scalars(
            select(ImportCreatedOrganization.letter_id).where(
                ImportCreatedOrganization.organization_id == keep.id
            )
        )
    )
    for record in db.session.scalars(
        select(ImportCreatedOrganization).where(ImportCreatedOrganization.organization_id == other.id)
    ):
        if record.letter_id not in created:
            db.session.add(ImportCreatedOrganization(organization_id=keep.id, letter_id=record.letter_id))
        db.session.delete(record)

    spellings = [(keep, "en", other.name_en), (keep, "ar", other.name_ar)]
    spellings += [(keep, alias.language, alias.spelling) for alias in other.aliases]
    set_tags(keep, [tag.name for tag in keep.tags] + [tag.name for tag in other.tags])
    # Every address of both; keep's primary stays, other's becomes primary only if keep had none.
    merged_emails = [entry.email for entry in other.emails_primary_first()]
    for address in merged_emails:
        keep.add_email(address)
    keep.country = keep.country or other.country
    details = {
        "kept": keep.id,
        "merged": other.id,
        "merged_name_en": other.name_en,
        "merged_name_ar": other.name_ar,
        "merged_emails": merged_emails,
        "invitations_moved": moved_invitations,
    }
    db.session.delete(other)
    db.session.flush()
    remember_spellings(spellings, AliasSource.MERGE)
    audit.record("organization.merged", user=by, ip_address=ip_address, **details)


# --------------------------------------------------------------------------- editing


@dataclass
class EntryChanges:
    """What an edit of a directory entry asks for; the web form and the CLI each build one.

    Names, country and tags are the values wanted (as the add form takes them). Emails and
    aliases are changes to the lists: addresses to add, the keys (:func:`clean_email`) of
    addresses to remove, the key of the address to make primary ("" leaves the primary as the
    removals and additions leave it), spellings to add as (language, spelling), ids of aliases
    to remove.
    """

    name_en: str
    name_ar: str
    country: str = ""
    tags: list[str] = field(default_factory=list)
    add_emails: list[str] = field(default_factory=list)
    remove_emails: list[str] = field(default_factory=list)
    primary_email: str = ""
    add_aliases: list[tuple[str, str]] = field(default_factory=list)
    remove_aliases: list[int] = field(default_factory=list)


def renamed_look_alikes(organization: Organization, changes: EntryChanges) -> list[Organization]:
    """Other entries that a changed name looks like: what the edit warns of before saving.

    A name whose folded form stays the same (a change of case or of a hamza) warns of nothing.
    """
    name_en = changes.name_en if folding.name_key(changes.name_en) != organization.name_en_folded else ""
    name_ar = changes.name_ar if folding.name_key(changes.name_ar) != organization.name_ar_folded else ""
    return similar_organizations(name_en, name_ar, exclude_id=organization.id)


def edit_organization(
    organization: Organization, changes: EntryChanges, *, by: User | None, ip_address: str = ""
) -> dict:
    """Apply ``changes`` and write one audit event (``organization.edited``) saying what changed.

    Returns what changed, as the event records it (``former_names_kept``: the replaced names
    kept as aliases); nothing changed: ``{}`` and no event. Only
    the directory changes: invitations keep their addresses, and a letter's list prints the
    names its signatories confirmed (closed letters' documents are stored), so renaming an
    entry rewrites no letter. A name replaced stays an alias of its language (source
    ``rename``), so searches and CSV imports that spell the entry the old way still find it;
    not when it folds like a name or alias the entry keeps, nor when the same edit removes the
    alias spelled like it. Raises ValueError when the primary asked for is not among the
    addresses kept or added (the form and the CLI check it first).
    """
    changed: dict = {}
    former_names = []
    for name, value in (
        ("name_en", changes.name_en.strip()),
        ("name_ar", changes.name_ar.strip()),
        ("country", changes.country.strip()),
    ):
        if getattr(organization, name) != value:
            changed[name] = {"from": getattr(organization, name), "to": value}
            if name != "country":
                former_names.append((organization, name.removeprefix("name_"), getattr(organization, name)))
            setattr(organization, name, value)

    tags_before = _by_key(organization.tags, "name")
    set_tags(organization, changes.tags)
    _record_list_change(changed, "tags", tags_before, _by_key(organization.tags, "name"))

    primary_before = organization.email
    emails_before = _by_key(organization.emails, "email")
    removed = set(changes.remove_emails)
    for entry in [entry for entry in organization.emails if entry.key in removed]:
        organization.remove_email(entry)
    db.session.flush()  # an address removed and added again in another case is a new row
    for address in changes.add_emails:
        organization.add_email(address)
    if changes.primary_email:
        entry = organization.email_entry(changes.primary_email)
        if entry is None:
            raise ValueError("the primary email must be one of the entry's addresses")
        organization.make_primary(entry)
    _record_list_change(changed, "emails", emails_before, _by_key(organization.emails, "email"))
    if organization.email != primary_before:
        changed["primary_email"] = {"from": primary_before, "to": organization.email}

    # Compared by key, not id: SQLite may give a new row the id of one just deleted.
    aliases_before = _by_key(organization.aliases, "spelling")
    removed_aliases = [alias for alias in organization.aliases if alias.id in set(changes.remove_aliases)]
    for alias in removed_aliases:
        organization.aliases.remove(alias)
    db.session.flush()
    remember_spellings(
        [(organization, language, s) for language, s in changes.add_aliases], AliasSource.MANUAL
    )
    unwanted = {alias.key for alias in removed_aliases}
    remember_spellings(
        [(o, language, s) for o, language, s in former_names if folding.name_key(s) not in unwanted],
        AliasSource.RENAME,
    )
    db.session.expire(organization, ["aliases"])
    _record_list_change(changed, "aliases", aliases_before, _by_key(organization.aliases, "spelling"))
    kept = [
        alias.spelling
        for alias in organization.aliases
        if alias.source == AliasSource.RENAME and alias.key not in aliases_before
    ]
    if kept:
        changed["former_names_kept"] = kept

    db.session.flush()
    if changed:
        audit.record(
            "organization.edited",
            user=by,
            ip_address=ip_address,
            organization=organization.id,
            changes=changed,
        )
    return changed


def _by_key(rows: Iterable, attribute: str) -> dict[str, str]:
    """An entry's tags, emails or aliases as {key: what a person reads}, to compare before and after."""
    return {row.key: getattr(row, attribute) for row in rows}


def _record_list_change(changed: dict, name: str, before: dict[str, str], after: dict[str, str]) -> None:
    """Record in ``changed`` what a list gained and lost, compared by key; nothing when it is the same."""
    added = [text for key, text in after.items() if key not in before]
    removed = [text for key, text in before.items() if key not in after]
    if added or removed:
        changed[name] = {"added": added, "removed": removed}


def remember_emails(addresses: Iterable[tuple[int, str]]) -> int:
    """Keep each (organisation id, address) as an address of the entry unless it has it already.

    An address becomes the primary of an entry that has none. One query for what the entries
    have, whatever their number (the CSV confirmation's path: entries not loaded with their
    emails). Returns how many addresses were added.
    """
    wanted = [
        (organization_id, address.strip()) for organization_id, address in addresses if clean_email(address)
    ]
    if not wanted:
        return 0
    ids = sorted({organization_id for organization_id, _address in wanted})
    known: set[tuple[int, str]] = set()
    with_primary: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        for organization_id, key, is_primary in db.session.execute(
            select(
                OrganizationEmail.organization_id, OrganizationEmail.key, OrganizationEmail.is_primary
            ).where(OrganizationEmail.organization_id.in_(ids[start : start + _CHUNK]))
        ):
            known.add((organization_id, key))
            if is_primary:
                with_primary.add(organization_id)
    added = 0
    for organization_id, address in wanted:
        key = clean_email(address)
        if (organization_id, key) in known:
            continue
        known.add((organization_id, key))
        db.session.add(
            OrganizationEmail(
                organization_id=organization_id,
                email=address,
                key=key,
                is_primary=organization_id not in with_primary,
            )
        )
        with_primary.add(organization_id)
        added += 1
    db.session.flush()
    return added


def get_organization(organization_id: int) -> Organization | None:
    return db.session.get(Organization, organization_id)


def as_json(organization: Organization, history: list[HistoryEntry]) -> dict:
    """One directory entry as the CLI prints it."""
    return {
        "id": organization.id,
        "name_en": organization.name_en,
        "name_ar": organization.name_ar,
        "email": organization.email,
        "emails": [entry.email for entry in organization.emails_primary_first()],
        "country": organization.country,
        "tags": [tag.name for tag in organization.tags],
        "aliases": [
            {"language": a.language, "spelling": a.spelling, "source": a.source.value}
            for a in organization.aliases
        ],
        "letters": [{"letter": h.letter_id, "title": h.title, "answer": h.answer} for h in history],
    }
