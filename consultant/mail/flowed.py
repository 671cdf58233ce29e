"""format=flowed text (RFC 3676) read back into the paragraphs its writer typed.

Thunderbird, Apple Mail and many webmails send plain text as format=flowed:
a line ending in a space continues on the next one, quoted lines carry one ">"
per level with no space between them, and a line starting with a space, ">"
or "From " is "space-stuffed" with one leading space. Read as fixed lines, a
question wraps mid-sentence ("DOS\\n02/18/2025") and a stuffed " >30 minutes" or
an unstuffed ">>" reads differently from what was typed. Joining the flowed
lines gives the quote stripper one line per paragraph, each quoted paragraph
written as ">" per level and a space, as a fixed-line client writes it.

One pass over the lines, each read once: linear in the text's size.
"""

from __future__ import annotations

_SIGNATURE_SEPARATOR = "-- "


def _depth_and_content(line: str) -> tuple[int, str]:
    depth = len(line) - len(line.lstrip(">"))
    content = line[depth:]
    if content.startswith(" "):
        content = content[1:]  # space-stuffing (or the space a writer puts after ">")
    return depth, content


def _is_flowed(content: str) -> bool:
    # The signature separator "-- " ends in a space but never flows (RFC 3676 4.3).
    return content.endswith(" ") and content != _SIGNATURE_SEPARATOR


def unflow(text: str, delete_space: bool = False) -> str:
    """``text`` sent as format=flowed, its soft line breaks joined.

    ``delete_space`` is the ``DelSp=yes`` parameter: the space before a soft
    break was added by the sender and goes when the lines are joined.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    paragraphs: list[str] = []
    pending: list[str] = []
    pending_depth = 0
    for line in lines:
        depth, content = _depth_and_content(line)
        if pending and depth != pending_depth:
            # A change of quote depth ends a paragraph even after a soft break (4.5).
            paragraphs.append(_written(pending_depth, "".join(pending)))
            pending = []
        pending_depth = depth
        if _is_flowed(content):
            pending.append(content[:-1] if delete_space else content)
            continue
        pending.append(content)
        paragraphs.append(_written(depth, "".join(pending)))
        pending = []
    if pending:
        paragraphs.append(_written(pending_depth, "".join(pending)))
    return "\n".join(paragraphs)


def _written(depth: int, content: str) -> str:
    return f"{'>' * depth} {content}" if depth else content
