"""No member-facing string literal is left in the code: what a member reads comes from the catalogue.

An AST check (like tests/reliability/test_security.py's lints): in `cogs/` and `bot/discord/`, the
text given to Discord — message content, embed titles, descriptions, fields and footers, button,
select and form labels, modal titles — and, anywhere in `bot/` and `cogs/`, the message of a
`UserFacingError` (or a prompt rule's `BadRule`) and a note stored with a job to be shown later
(`Ending.end`'s note, `note=`, `error_note=`) must not be written in the code: a string literal or
an f-string with words in it is reported with its file and line. Emoji, markup and joins
(`" · "`, `f"{a}\\n{b}"`) are not words and pass. The few texts that are not for members are
listed in ALLOWED with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Calls whose positional arguments are text a member reads.
TEXT_CALLS = {
    "send_message": (0,),
    "send": (0,),
    "reply_privately": (1,),
    "edit_original_response": (),
    "edit_message": (),
    "Embed": (),
    "add_field": (),
    "set_field_at": (),
    "set_footer": (),
    "set_author": (),
    "Button": (),
    "TextInput": (),
    "Modal": (),
    "SelectOption": (0,),
    "Select": (),
    "usage_chart": (0,),
}
#: Keywords of those calls (and of any call) that carry text a member reads.
TEXT_KEYWORDS = {"content", "title", "description", "name", "value", "text", "label", "placeholder"}
#: Exceptions whose message a member reads (bot/errors.py; a prompt rule's problem, bot/prompt_rules.py).
USER_FACING = {
    "UserFacingError",
    "InvalidInput",
    "QuotaExceeded",
    "QueueFull",
    "NotAllowed",
    "NotFound",
    "BadRule",
}
#: Anywhere in `bot/`: notes stored with a job and shown to its member later, in its language (a
#: catalogue `Text`, never a sentence): the job core's failure note (`Ending.end(job, state, code,
#: note)`), and any `note=` / `error_note=` given to a call.
STORED_NOTES = {"end": (3,), "failure_note": ()}
NOTE_KEYWORDS = {"note", "error_note"}
#: Calls whose positional arguments (by index) are an audit channel's line or part of one
#: (bot/admin_actions.py, bot/discord/audit.py): admins read it, in the server's language.
AUDIT_CALLS = {"record": (1,), "record_everywhere": (0,), "admin_line": (1,), "job_line": (2,)}
#: Modules of the audit channel: no module constant may hold a sentence (the lines were kept in
#: dicts of English templates before they moved to the catalogue's audit.ftl).
AUDIT_MODULES = {"bot/admin_actions.py", "bot/discord/audit.py", "bot/balance.py"}


def _sentence(words: str) -> bool:
    """Text with a space and a word of its own besides `{placeholders}` (catalogue keys, identifiers
    and format strings without words are not sentences)."""
    return " " in words.strip() and WORDS.search(re.sub(r"\{[^{}]*\}", " ", words)) is not None


#: Words: two letters in a row in any script (emoji, digits, punctuation and markup are not).
WORDS = re.compile(r"[^\W\d_]{2,}")

#: The operator's command line: its messages stay English (logs, the ledger and the CLI do).
OPERATOR_FACING = {"bot/cli.py", "bot/__main__.py", "bot/doctor.py"}
#: Texts still English, to be moved into the catalogue, listed by file and how the text starts so
#: that nothing else slips in. Empty: the operator controls' answers (issue 19) are in the catalogue.
PENDING: set[tuple[str, str]] = set()
#: (file, the literal) that are not member-facing, with why.
ALLOWED = {
    # The marker a repeated hand-over looks for in its own earlier post (delivery._earlier_post).
    ("bot/discord/render.py", "job  · "),
    # Likewise for a batch's message (delivery._place_batch).
    ("bot/discord/render.py", "batch  · "),
    # A button no member sees: the catch-all for unknown ids is never put on a message.
    ("bot/discord/buttons.py", "?"),
}


def _literal_words(node: ast.AST) -> str | None:
    """The words a string literal or f-string spells out itself, if any."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if WORDS.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        parts = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        return parts if WORDS.search(parts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _literal_words(node.func.value)
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) or _literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_words(node.body) or _literal_words(node.orelse)
    return None


def _named_words(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The words of a module constant used as the text (`TITLE`, `A if x else B`, `LINK.format(...)`)."""
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Subscript):  # TEXT["key"] of a dict of texts
        return _named_words(node.value, constants)
    if isinstance(node, ast.IfExp):
        return _named_words(node.body, constants) or _named_words(node.orelse, constants)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _named_words(node.func.value, constants)
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _module_texts(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "text with words" (or a dict of such texts): a literal kept in a constant
    is still a literal."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            words = _literal_words(node.value) if node.value is not None else None
            if isinstance(node.value, ast.Dict):
                words = next((w for v in node.value.values if (w := _literal_words(v))), None)
            for target in targets:
                if isinstance(target, ast.Name) and words:
                    found[target.id] = words
    return found


def _problems(path: Path, *, discord_side: bool, audit: bool | None = None) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    if audit is None:
        audit = relative in AUDIT_MODULES
    tree = ast.parse(path.read_text(encoding="utf-8"), relative)
    constants = _module_texts(tree)
    found = []

    def check(node: ast.AST, where: str) -> None:
        words = _literal_words(node)
        if words is None:
            words = _named_words(node, constants)
        pending = (
            any(relative == file and words.startswith(start) for file, start in PENDING) if words else False
        )
        if words is not None and (relative, words) not in ALLOWED and not pending:
            found.append(f"{relative}:{node.lineno} {where}: {words[:60]!r}")

    if audit:
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                for value in ast.walk(node.value):
                    words = _literal_words(value)
                    if words is not None and _sentence(words) and (relative, words) not in ALLOWED:
                        found.append(f"{relative}:{value.lineno} audit text in a constant: {words[:60]!r}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        for index in AUDIT_CALLS.get(name, ()):
            if index < len(node.args):
                check(node.args[index], f"{name} (audit line)")
        if name in USER_FACING:
            for argument in node.args[:1]:
                check(argument, name)
        for index in STORED_NOTES.get(name, ()):
            if index < len(node.args):
                check(node.args[index], name)
        for keyword in node.keywords:
            if keyword.arg in NOTE_KEYWORDS:
                check(keyword.value, f"{name}({keyword.arg}=)")
        if not discord_side or name not in TEXT_CALLS:
            continue
        for index in TEXT_CALLS[name]:
            if index < len(node.args):
                check(node.args[index], name)
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                check(keyword.value, f"{name}({keyword.arg}=)")
    return found


def test_no_member_facing_string_literal_is_left_in_the_code() -> None:
    problems: list[str] = []
    for path in sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative in OPERATOR_FACING:
            continue
        discord_side = relative.startswith(("cogs/", "bot/discord/"))
        problems += _problems(path, discord_side=discord_side)
    assert problems == [], "\n".join(problems)


def test_the_audit_channel_has_no_english_template_left() -> None:
    """The audit modules' lines come from the catalogue: a dict of English templates, a literal line
    recorded, or a literal action for `admin_line`, is found wherever it is."""
    for relative in sorted(AUDIT_MODULES):
        assert _problems(ROOT / relative, discord_side=relative.startswith("bot/discord/")) == []
    sample = ROOT / "bot" / "discord" / "_audit_lint_sample.py"
    sample.write_text(
        "KEY = 'audit-charged'\n"
        "LINES = {'charged': '{amount} credits'}\n"
        "async def _sample(desk, guild_id, n):\n"
        "    await desk.record(guild_id, f'{n} jobs were erased')\n"
        "    admin_line(1, 'reset the usage')\n",
        encoding="utf-8",
    )
    try:
        found = _problems(sample, discord_side=True, audit=True)
    finally:
        sample.unlink()
    assert sorted(line.split(" ", 1)[1].split(":")[0] for line in found) == [
        "admin_line (audit line)",
        "audit text in a constant",
        "record (audit line)",
    ]


def test_the_lint_finds_what_it_is_meant_to() -> None:
    """The check itself: a literal reply, an f-string refusal, a constant label are each found."""
    sample = ROOT / "cogs" / "_lint_sample.py"
    sample.write_text(
        "LABEL = 'Press me'\n"
        "TEXT = {'gone': 'It is gone.'}\n"
        "async def f(interaction, n):\n"
        "    await interaction.response.send_message('Saved.', ephemeral=True)\n"
        "    raise InvalidInput(f'{n} is too many images')\n"
        "    Button(label=LABEL)\n"
        "    raise NotFound(TEXT['gone'])\n"
        "    embed.add_field(name=t(language, 'key'), value=f'`{n}` · {n}')\n"
        "    await self.ending.end(job, state, 'timeout', 'The provider took too long.')\n"
        "    raise BadRule(f'is longer than {n} characters')\n"
        "    Expansion(image, note=f'scaled down to {n}')\n"
        "    await self.ending.end(job, state, 'timeout', failure_note('timeout'), message='took long')\n",
        encoding="utf-8",
    )
    try:
        found = _problems(sample, discord_side=True)
    finally:
        sample.unlink()
    assert sorted(line.split(" ", 1)[0] for line in found) == sorted(
        [
            "cogs/_lint_sample.py:4",
            "cogs/_lint_sample.py:5",
            "cogs/_lint_sample.py:6",
            "cogs/_lint_sample.py:7",
            "cogs/_lint_sample.py:9",
            "cogs/_lint_sample.py:10",
            "cogs/_lint_sample.py:11",
        ]
    )
