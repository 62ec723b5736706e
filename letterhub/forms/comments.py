from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..services.commenting import MAX_COMMENT_LENGTH
from .base import Form


class CommentForm(Form):
    """A new thread on a paragraph (``paragraph`` says which), or a reply (no paragraph)."""

    paragraph = HiddenField()
    body = TextAreaField(
        _l("Comment"),
        validators=[
            DataRequired(message=_l("Write your comment.")),
            Length(
                max=MAX_COMMENT_LENGTH,
                message=_l("A comment holds at most %(max)d characters.", max=MAX_COMMENT_LENGTH),
            ),
        ],
    )
