"""Item details lookup."""

from __future__ import annotations

from recpilot.tools.context import ToolContext
from recpilot.tools.models import DetailsArgs, ItemDetails


def item_details(ctx: ToolContext, args: DetailsArgs) -> ItemDetails:
    """Returns every field of one catalog item under the catalog's own field names.

    Args:
        item_id: a catalog item id; an unknown id is an error, never a guess.
    """
    item = ctx.catalog.get(args.item_id)
    fields = item.public()
    fields.pop("id", None)
    fields.pop("title", None)
    return ItemDetails(id=item.id, title=item.title, fields=fields)
