"""Long private answers (`/help`, `/models`) as pages within Discord's embed limits, with a select
to move between them.

Discord refuses a whole message when one embed passes its limits (a title of 256 characters, a
description of 4,096, 25 fields of 256 + 1,024, 6,000 characters in all), so `Page.fit` cuts each
page to them and `paginate` starts a new page before one would be passed. The select is a
`DynamicItem`: its custom_id names the topic, the chosen option the page, so it keeps working after
a restart; the pages are built again from the same data when an option is picked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import discord

from bot.discord.render import COLOUR, shorten
from bot.discord.replies import handle_interaction_error

#: Discord's limits for one embed (and for all the embeds of one message together).
TITLE_MAX, DESCRIPTION_MAX, FIELDS_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 256, 4096, 25, 256, 1024
FOOTER_MAX, EMBED_TOTAL_MAX = 2048, 6000
#: Room kept on each page for its footer ("page 2 of 3") and the select's placeholder text.
PAGE_TOTAL = EMBED_TOTAL_MAX - 200
#: A select holds at most 25 options, each label at most 100 characters.
OPTIONS_MAX, LABEL_MAX = 25, 100


@dataclass
class Page:
    """One embed's worth: a title, an optional description, fields (name, value)."""

    key: str
    label: str
    title: str
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)

    def size(self) -> int:
        return len(self.title) + len(self.description) + sum(len(n) + len(v) for n, v in self.fields)

    def embed(self, footer: str | None = None) -> discord.Embed:
        embed = discord.Embed(
            title=shorten(self.title, TITLE_MAX),
            description=shorten(self.description, DESCRIPTION_MAX) or None,
            colour=COLOUR,
        )
        for name, value in self.fields[:FIELDS_MAX]:
            embed.add_field(
                name=shorten(name, FIELD_NAME_MAX), value=shorten(value, FIELD_VALUE_MAX) or "—", inline=False
            )
        if footer:
            embed.set_footer(text=shorten(footer, FOOTER_MAX))
        return embed


def paginate(
    key: str, label: str, title: str, description: str, fields: Sequence[tuple[str, str]]
) -> list[Page]:
    """Fields spread over as many pages as Discord's limits need (`key`, `key-2`, ...)."""
    pages = [Page(key, label, title, shorten(description, DESCRIPTION_MAX))]
    for name, value in fields:
        item = (shorten(name, FIELD_NAME_MAX), shorten(value, FIELD_VALUE_MAX))
        page = pages[-1]
        if len(page.fields) >= FIELDS_MAX or page.size() + len(item[0]) + len(item[1]) > PAGE_TOTAL:
            number = len(pages) + 1
            page = Page(f"{key}-{number}", f"{label} ({number})", f"{title} ({number})")
            pages.append(page)
        page.fields.append(item)
    return pages


def message(pages: Sequence[Page], topic: str, key: str | None = None) -> dict[str, Any]:
    """The keyword arguments of a message showing the page `key` (else the first) and, when there
    are several pages, the select to reach the others."""
    index = next((i for i, p in enumerate(pages) if p.key == key), 0)
    footer = f"{index + 1} / {len(pages)}" if len(pages) > 1 else None
    answer: dict[str, Any] = {"embed": pages[index].embed(footer)}
    if len(pages) > 1:
        view = discord.ui.View(timeout=None)
        view.add_item(PageSelect.of(topic, pages, pages[index].key))
        answer["view"] = view
    return answer


class PageSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"fluxbot:pages:(?P<topic>[a-z]+)"):
    """The select under a paged answer. Each topic (a cog) subclasses it with its own template and
    `build`; the page chosen is the option's value."""

    topic: ClassVar[str] = ""

    def __init__(self, options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"fluxbot:pages:{self.topic}",
                options=options or [discord.SelectOption(label="…", value="-")],
                min_values=1,
                max_values=1,
            )
        )

    @classmethod
    def of(cls, topic: str, pages: Sequence[Page], current: str) -> PageSelect:
        for subclass in PageSelect.__subclasses__():
            if subclass.topic == topic:
                options = [
                    discord.SelectOption(
                        label=shorten(p.label, LABEL_MAX), value=p.key, default=p.key == current
                    )
                    for p in pages[:OPTIONS_MAX]
                ]
                return subclass(options)
        raise LookupError(f"no pages for {topic!r}")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageSelect:
        return cls()  # no I/O here: discord.py swallows errors raised in this hook

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            values = self.item.values
            key = str(values[0]) if values else None
            await interaction.response.defer()  # acknowledged before anything is read
            pages = await self.build(interaction)
            await interaction.edit_original_response(**message(pages, self.topic, key))
        except Exception as error:
            await handle_interaction_error(interaction, error)

    async def build(self, interaction: discord.Interaction) -> list[Page]:
        raise NotImplementedError
