"""format=flowed (RFC 3676) bodies read back into the lines their writer typed."""

from __future__ import annotations

from consultant.mail.flowed import unflow


def test_soft_line_breaks_are_joined() -> None:
    assert unflow("Can 96372 be billed \nwith 20610?\nNew line.") == (
        "Can 96372 be billed with 20610?\nNew line."
    )


def test_quoted_lines_keep_their_depth_and_join_within_it() -> None:
    text = "> first half \n> second half\n>> older \n>> still older\nmine"
    assert unflow(text) == "> first half second half\n>> older still older\nmine"


def test_a_change_of_depth_ends_a_paragraph_even_after_a_soft_break() -> None:
    assert unflow("> quoted \nmine") == "> quoted \nmine"


def test_space_stuffing_is_removed() -> None:
    assert unflow(" >30 minutes\n From here") == ">30 minutes\nFrom here"


def test_the_signature_separator_does_not_flow() -> None:
    assert unflow("Question?\n-- \nDana") == "Question?\n-- \nDana"


def test_delsp_removes_the_space_before_a_soft_break() -> None:
    assert unflow("Toradol six\nty mg", delete_space=True) == "Toradol six\nty mg"
    assert unflow("Toradol six \nty mg", delete_space=True) == "Toradol sixty mg"
