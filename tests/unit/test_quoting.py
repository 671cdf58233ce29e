"""New-text extraction: quoted history and signatures out, the question (and forwards) in."""

from __future__ import annotations

from textwrap import dedent

import pytest

from consultant.mail.quoting import extract_new_text


def _new(text: str, subject: str = "") -> str:
    return extract_new_text(dedent(text), subject)


def test_gmail_attribution_wrapped_over_two_lines_and_quotes_are_removed() -> None:
    text = """\
        Does the same rule apply to the telehealth visit?

        On Tue, Nov 3, 2026 at 9:14 AM CaseConsultant <consultant@example.org>
        wrote:

        > Report 99213 and G2211 once per visit.
        """
    assert _new(text) == "Does the same rule apply to the telehealth visit?"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Nov 3, 2026, at 09:14, CaseConsultant <consultant@example.org> wrote:",
        "Am 03.11.2026 um 09:14 schrieb CaseConsultant <consultant@example.org>:",
        "Le mar. 3 nov. 2026 à 09:14, CaseConsultant <consultant@example.org> a écrit :",
        "CaseConsultant <consultant@example.org> wrote:",
    ],
)
def test_attributions_in_several_clients_and_languages(attribution: str) -> None:
    text = f"Is 99497 time based?\n\n{attribution}\n> Our earlier answer about 99406.\n"
    assert extract_new_text(text) == "Is 99497 time based?"


def test_a_sentence_ending_in_wrote_is_not_an_attribution() -> None:
    text = """\
        On Monday the physician wrote:
        patient seen for follow-up, injection given.
        Which codes apply?
        """
    assert "injection given" in _new(text)


def test_outlook_original_message_marker() -> None:
    text = """\
        Can 36415 go on the same claim?

        -----Original Message-----
        From: CaseConsultant <consultant@example.org>
        Sent: Tuesday, November 3, 2026 9:14 AM
        Subject: RE: lab draws

        Earlier answer mentioning 99213.
        """
    assert _new(text) == "Can 36415 go on the same claim?"


@pytest.mark.parametrize("separator", ["________________________________\n", ""])
def test_outlook_from_sent_block(separator: str) -> None:
    text = (
        "Thanks, that helps. What about 97140 on the same day?\n\n"
        f"{separator}From: CaseConsultant <consultant@example.org>\n"
        "Sent: Tuesday, November 3, 2026 9:14 AM\nTo: Tom Becker <tb@example.com>\n"
        "Subject: RE: [CC-12] therapy codes\n\nOur answer about 97110.\n"
    )
    assert _new(text) == "Thanks, that helps. What about 97140 on the same day?"


def test_outlook_for_mac_block_with_date_instead_of_sent() -> None:
    text = (
        "And for 97530?\n\nFrom: CaseConsultant <consultant@example.org>\n"
        "Date: Tuesday, November 3, 2026 at 9:14 AM\nTo: Tom <tb@example.com>\n"
        "Subject: Re: therapy\n\nOur answer about 97110.\n"
    )
    assert _new(text) == "And for 97530?"


def test_inline_answers_between_quotes_are_kept() -> None:
    text = """\
        > Which payer is it?
        Medicare.
        > Was the visit separately documented?
        Yes, a separate note.
        """
    assert _new(text) == "Medicare.\nYes, a separate note."


def test_a_greater_than_sign_before_a_number_is_not_a_quote() -> None:
    text = "Critical care note says:\n>30 minutes, then 20 more.\nIs 99292 billable?\n"
    assert _new(text) == text.strip()


def test_dash_dash_signature_is_removed() -> None:
    assert _new("Is J1100 per 1 mg?\n\n-- \nMaya Ortiz\nBilling\n") == "Is J1100 per 1 mg?"


def test_sign_off_with_name_title_and_phone_is_removed() -> None:
    text = """\
        Can 11042 and 97597 be billed for the same wound?

        Best regards,
        Rosa Delgado, CPC
        Coding Specialist | Lakeside Orthopedics
        (555) 201-3344
        """
    assert _new(text) == "Can 11042 and 97597 be billed for the same wound?"


def test_sign_off_followed_by_more_question_is_kept() -> None:
    text = """\
        Thanks,

        Actually one more thing: does the 25 modifier go on the visit line or
        on the procedure line? We have seen both and the payer rejected one of
        them last month, so I want to be sure before we rebill.
        """
    assert "25 modifier" in _new(text)


def test_thanks_at_the_start_of_a_question_is_kept() -> None:
    assert _new("Thanks for the help earlier. Is G0439 yearly?\n") == (
        "Thanks for the help earlier. Is G0439 yearly?"
    )


@pytest.mark.parametrize(
    "footer",
    ["Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for iOS", "Sent from Yahoo Mail"],
)
def test_mobile_footers_are_removed(footer: str) -> None:
    assert _new(f"Is J3420 per unit?\n\n{footer}\n") == "Is J3420 per unit?"


def test_confidentiality_notice_is_removed() -> None:
    text = """\
        Please confirm the units for J1885.

        CONFIDENTIALITY NOTICE: This e-mail, including any attachments, is for
        the sole use of the intended recipient and may contain protected health
        information.
        """
    assert _new(text) == "Please confirm the units for J1885."


def test_a_short_last_paragraph_of_the_question_is_kept() -> None:
    text = "Can we bill the visit?\n\nThe MD saw her in the office.\nDept billed 99214 twice.\n"
    assert _new(text) == text.strip()


def test_codes_after_a_sign_off_are_kept() -> None:
    text = "Which one is right?\n\nThanks,\nRosa\n\n99214 with modifier 25\n99213\n"
    assert "99214 with modifier 25" in _new(text)


def test_signature_with_an_address_and_zip_code_is_removed() -> None:
    text = (
        "Is 99497 time based?\n\nKind regards,\nKarl Weber, CPC\n12 Main Street\n"
        "Springfield, IL 62704\nkweber@praxis.example\n"
    )
    assert _new(text) == "Is 99497 time based?"


def test_contact_block_without_sign_off_is_removed_but_a_code_list_is_not() -> None:
    signature = "Is 99214 right here?\n\nKarl Weber\nBilling Manager\nPhone 555-123-4567\n"
    assert _new(signature) == "Is 99214 right here?"
    codes = "Which of these need modifier 59?\n\n97110\n97140\n97530\n"
    assert _new(codes) == "Which of these need modifier 59?\n\n97110\n97140\n97530"


def test_forward_with_a_note_keeps_note_and_forwarded_question() -> None:
    text = """\
        Can you help with this one?

        ---------- Forwarded message ---------
        From: Dr. Lin Chen <lchen@clinic.example>
        Date: Mon, Nov 2, 2026 at 4:50 PM
        Subject: injection
        To: Maya <maya@clinic.example>

        Can J1100 and the visit both be billed?

        Thanks,
        Lin
        """
    new = _new(text, "Fwd: injection")
    assert new == "Can you help with this one?\n\nCan J1100 and the visit both be billed?"


def test_apple_begin_forwarded_message_without_a_note() -> None:
    text = """\
        Begin forwarded message:

        From: Dr. Lin Chen <lchen@clinic.example>
        Subject: injection
        Date: November 2, 2026 at 4:50:00 PM EST
        To: Maya <maya@clinic.example>

        Is 96372 billable with J1100?
        """
    assert _new(text, "Fwd: injection") == "Is 96372 billable with J1100?"


def test_forwarded_mail_loses_its_own_quoted_history() -> None:
    text = """\
        ---------- Forwarded message ---------
        From: Dr. Lin Chen <lchen@clinic.example>
        Subject: Re: injection

        Then what about 96372?

        On Mon, Nov 2, 2026 at 1:00 PM Maya <maya@clinic.example> wrote:
        > Old discussion of 99999.
        """
    assert _new(text, "Fwd: Re: injection") == "Then what about 96372?"


def test_outlook_fw_block_is_a_forward_when_the_subject_says_so() -> None:
    text = (
        "\nFrom: Billing Office <billing@riverside.example>\nSent: Monday, November 2, 2026\n"
        "To: Tom <tb@riverside.example>\nSubject: denied claim\n\nWhy was 97110 denied?\n"
    )
    assert _new(text, "FW: denied claim") == "Why was 97110 denied?"
    assert _new(text, "RE: denied claim") == ""


def test_only_quoted_history_leaves_no_text() -> None:
    assert _new("On Tue, Nov 3, 2026 at 9:14 AM X <x@example.org> wrote:\n> old\n") == ""
    assert _new("Thanks!\n") == ""
    assert _new("") == ""


def test_windows_line_ends_and_blank_runs_are_tidied() -> None:
    assert extract_new_text("Line one\r\n\r\n\r\n\r\nLine two\r\n") == "Line one\n\nLine two"


def test_bottom_posted_reply_keeps_the_question_under_the_quote() -> None:
    text = """\
        On 2/18/25 4:12 PM, CaseConsultant wrote:
        > For 20610 with 99213, the visit needs modifier 25.
        >
        > -- CaseConsultant

        And if the injection was 20611 instead?

        --
        Dana
        """
    assert _new(text) == "And if the injection was 20611 instead?"


def test_answers_between_quoted_lines_after_an_attribution_are_kept() -> None:
    text = """\
        On Thu, Feb 20, 2025 at 11:40 AM CaseConsultant <consultant@example.org> wrote:
        > Which knee?

        Right.

        > Was the meniscectomy in another compartment?

        Yes, medial; the chondroplasty was lateral.
        """
    assert _new(text) == "Right.\n\nYes, medial; the chondroplasty was lateral."


def test_a_top_posted_question_is_read_the_same_as_before() -> None:
    text = "Is 99497 time based?\n\nOn Mon, X <x@example.org> wrote:\n> Old answer on 99406.\n"
    assert _new(text) == "Is 99497 time based?"


@pytest.mark.parametrize(
    "opening",
    [
        "-----Original Message-----\nFrom: CaseConsultant <consultant@example.org>\n"
        "Sent: Wednesday, March 5, 2025 5:40 PM\nTo: Tom <tb@example.com>\nSubject: RE: x\n",
        "From: CaseConsultant <consultant@example.org>\nSent: Wednesday, March 5, 2025\n"
        "To: Tom <tb@example.com>\nSubject: RE: x\n",
        "Le 06/03/2025 à 18:02, CaseConsultant a écrit :\n",
        "Am 06.03.2025 um 18:02 schrieb CaseConsultant:\n",
    ],
)
def test_an_opening_followed_by_quoted_lines_is_dropped_and_what_follows_is_kept(
    opening: str,
) -> None:
    text = f"{opening}\n> 96365 is the first hour.\n\nSo 96366 x2 for three hours?\n"
    assert extract_new_text(text) == "So 96366 x2 for three hours?"


def test_outlook_history_without_quote_marks_still_ends_the_new_text() -> None:
    text = (
        "What about 97530?\n\nFrom: CaseConsultant <consultant@example.org>\n"
        "Sent: Tuesday, March 4, 2025\nTo: Tom <tb@example.com>\nSubject: RE: x\n\n"
        "Our answer about 97110.\n\nAnd an older line that is not quoted.\n"
    )
    assert _new(text) == "What about 97530?"


def test_quoted_lines_that_look_like_markers_do_not_cut_what_follows() -> None:
    text = "> On Mon, X <x@example.org> wrote:\n>> 99213 old\n> From: someone\n\nIs G2211 ok?\n"
    assert _new(text) == "Is G2211 ok?"


def test_a_last_line_with_only_the_senders_name_is_a_signature() -> None:
    text = "Is 93010 alone right?\n\n-Claire\n"
    assert extract_new_text(text, sender_name="Claire Martin") == "Is 93010 alone right?"
    assert extract_new_text("And 97140?\nTom\n", sender_name="Becker, Tom") == "And 97140?"
    # Another last word, or the name alone, stays: it may be the answer.
    assert extract_new_text("> Payer?\nMedicare.\n", sender_name="Tom Becker") == "Medicare."
    assert extract_new_text("Tom\n", sender_name="Tom Becker") == "Tom"
