"""The data model, one module per noun. Importing this package registers every table."""

from .audit import AuditEvent
from .comment import Comment
from .final_document import FinalDocument, RenderErrorKind, RenderStatus
from .imported import DuplicateStatus, ImportCreatedOrganization, ImportedSignatory, ImportPossibleDuplicate
from .invitation import Invitation, InvitationState
from .letter import LANGUAGES, REVISION_FIELDS, ChangeKind, Letter, LetterRevision, LetterStatus
from .login_session import LoginSession, SessionEnd
from .membership import LetterMember, LetterRole
from .organization import AliasSource, Organization, OrganizationAlias, OrganizationEmail, OrganizationTag
from .outbox import OutboxMessage, OutboxStatus
from .parity import ParityAcknowledgement
from .proposal import InvitationForward, Proposal, ProposalSource, ProposalStatus
from .reconfirmation import ReconfirmationRequest
from .reminder import Reminder, ReminderKind
from .signature import Decision, DecisionKind, Signature, SignatureDecision
from .user import User

__all__ = [
    "AliasSource",
    "AuditEvent",
    "ChangeKind",
    "Comment",
    "Decision",
    "DecisionKind",
    "DuplicateStatus",
    "FinalDocument",
    "ImportCreatedOrganization",
    "ImportedSignatory",
    "ImportPossibleDuplicate",
    "RenderErrorKind",
    "RenderStatus",
    "Invitation",
    "InvitationForward",
    "InvitationState",
    "LANGUAGES",
    "Letter",
    "LetterMember",
    "LetterRevision",
    "LetterRole",
    "LetterStatus",
    "LoginSession",
    "Organization",
    "OrganizationAlias",
    "OrganizationEmail",
    "OrganizationTag",
    "OutboxMessage",
    "OutboxStatus",
    "ParityAcknowledgement",
    "Proposal",
    "ProposalSource",
    "ProposalStatus",
    "REVISION_FIELDS",
    "ReconfirmationRequest",
    "Reminder",
    "ReminderKind",
    "SessionEnd",
    "Signature",
    "SignatureDecision",
    "User",
]
