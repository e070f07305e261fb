"""``actlab drill``: answer generated concept drills in the terminal."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from ..practice import KINDS, GradeResult, Question, generate_drill, grade
from ._store import database_url_option, open_store, plural, utc_now

if TYPE_CHECKING:
    from ..store import Store

QUIT = ("q", "quit")
MAX_SEED = 2**31 - 1
# Characters beyond which an option's text is a description, not a label.
LONG_OPTION = 40


@dataclass
class Score:
    """The questions answered in a session and how many were right."""

    answered: int = 0
    correct: int = 0


@click.command("drill")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="Drill kind to ask. Default: the kinds in turn.",
)
@click.option(
    "--count",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Number of questions.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    help="Seed of the first question. Question i uses seed + i. Default: random.",
)
@database_url_option()
def drill_command(kind: str | None, count: int, seed: int | None, database_url) -> None:
    """Answer concept drills generated from the lesson, as in the web lab.

    Numeric drills take a number such as 0.25, 2.5e-1 or 1/4. Choice and predict
    drills take the option's number or name. Each answer is graded, explained and
    saved at once, so quitting with q keeps the answers given so far.
    """
    console = Console(highlight=False)
    first_seed = secrets.randbelow(MAX_SEED - 100) if seed is None else seed
    score = Score()
    with open_store(database_url) as store:
        for number in range(count):
            question_seed = (first_seed + number) % (MAX_SEED + 1)
            question_kind = kind or KINDS[number % len(KINDS)]
            question = generate_drill(question_kind, question_seed)
            console.print()
            console.print(_question_panel(question, number + 1, count))
            if not _ask_and_grade(console, store, question, score):
                break
    _print_score(console, score, count)


def _question_panel(question: Question, number: int, total: int) -> Panel:
    body = Text(question.prompt)
    # Choice options carry a paragraph each, so a blank line separates them.
    long = any(len(text) > LONG_OPTION for _, text in question.options)
    for index, (option_id, text) in enumerate(question.options, start=1):
        body.append("\n\n" if long or index == 1 else "\n")
        if long:
            body.append(f"{index}. {option_id}", style="bold")
            body.append(f": {text}")
        elif text.casefold() == option_id.casefold():
            body.append(f"{index}. {text}")
        else:
            body.append(f"{index}. {text} ({option_id})")
    title = f"Question {number} of {total}: {question.title} ({question.kind})"
    return Panel(body, title=title, subtitle=question.id, title_align="left")


def _ask_and_grade(
    console: Console, store: Store, question: Question, score: Score
) -> bool:
    """Ask until the answer is well formed, grade and save it.

    Returns False when the learner quits.
    """
    prompt = "Your answer (q to quit)"
    if question.options:
        prompt = f"Your choice, 1-{len(question.options)} or its name (q to quit)"

    while True:
        reply = _ask(prompt)
        if reply.lower() in QUIT:
            return False
        answer = _option_id(question, reply)
        if question.kind == "predict" and answer in dict(question.options):
            console.print("Training both versions to check...", style="dim")
        result = grade(question, answer)
        if result.error is None:
            break
        console.print(
            Text(f"{result.error}, or q to quit.", style="red"), soft_wrap=True
        )

    _record(store, question, answer, result)
    score.answered += 1
    score.correct += result.correct
    _print_result(console, question, result)
    return True


def _ask(prompt: str) -> str:
    """Prompt for one line. End of input and Ctrl-C count as quitting."""
    try:
        reply = click.prompt(prompt, default="", show_default=False)
    except click.Abort:
        return QUIT[0]
    return reply.strip()


def _option_id(question: Question, reply: str) -> str:
    """Return the option id that ``reply`` numbers, names or spells out.

    Any other reply is returned unchanged, for the grader to reject.
    """
    ids = [option_id for option_id, _ in question.options]
    if (
        reply.isascii()
        and reply.isdigit()
        and len(reply) < 4
        and 1 <= int(reply) <= len(ids)
    ):
        return ids[int(reply) - 1]
    for option_id, text in question.options:
        if reply.casefold() in (option_id.casefold(), text.casefold()):
            return option_id
    return reply


def _record(store: Store, question: Question, answer: str, result: GradeResult) -> None:
    # Stored as the web lab stores a drill attempt: the template id as the item,
    # and the seed and answer in the detail, which regenerate and regrade it.
    detail = {
        "seed": question.seed,
        "drill_kind": question.kind,
        "answer": answer,
        "expected": result.expected,
        "source": "cli",
    }
    if result.observed:
        detail["observed"] = dict(result.observed)
    store.record_attempt(
        "drill",
        question.template,
        score=result.score,
        correct=result.correct,
        concept=question.concept,
        detail=detail,
        at=utc_now(),
    )


def _print_result(console: Console, question: Question, result: GradeResult) -> None:
    # A predict drill's expected answer is an option id such as "same", and its
    # label ("About the same") reads better. A choice label is a whole paragraph.
    label = dict(question.options).get(result.expected, "")
    expected = label if 0 < len(label) <= LONG_OPTION else result.expected
    if result.correct:
        console.print(Text("Correct.", style="bold green"))
    else:
        console.print(Text(f"Not quite: the answer is {expected}.", style="bold red"))
    console.print(Text(plain_math(result.explanation)))


def _print_score(console: Console, score: Score, count: int) -> None:
    console.print()
    if score.answered == 0:
        console.print("No questions answered.")
        return
    share = score.correct / score.answered
    text = (
        f"Score: {score.correct} of {plural(score.answered, 'question')} ({share:.0%})"
    )
    if score.answered < count:
        text += f", stopped after {score.answered} of {count}"
    console.print(text + ".")


# LaTeX commands in the registry's formulas and the text that stands for each
# in a plain terminal.
_LATEX_WORDS = {
    r"\sigma": "\N{GREEK SMALL LETTER SIGMA}",
    r"\beta": "\N{GREEK SMALL LETTER BETA}",
    r"\alpha": "\N{GREEK SMALL LETTER ALPHA}",
    r"\lambda": "\N{GREEK SMALL LETTER LAMDA}",
    r"\Phi": "\N{GREEK CAPITAL LETTER PHI}",
    r"\varphi": "\N{GREEK SMALL LETTER PHI}",
    r"\tanh": "tanh",
    r"\log": "log",
    r"\max": "max",
    r"\min": "min",
    r"\le": "<= ",
    r"\ge": ">= ",
    r"\left": "",
    r"\right": "",
    r"\bigl": "",
    r"\bigr": "",
    r"\,": " ",
}
# A command word swallows one space after it, as in LaTeX: "\\beta z" is "βz".
_COMMAND = re.compile(r"\\[A-Za-z]+ ?|\\,")
_BRACED = r"\{([^{}]*)\}"
_FRACTION = r"\\frac ?" + _BRACED + _BRACED


def plain_math(text: str) -> str:
    """Rewrite the ``$...$`` LaTeX in ``text`` as plain text for a terminal.

    ``\\frac{a}{b}`` becomes ``a/b``, bracketed where needed, and ``\\sigma`` the
    Greek letter. This covers the commands of the registry's formulas, and other
    commands are kept as written.
    """
    return re.sub(r"\$([^$]*)\$", lambda match: _plain(match.group(1)), text)


def _plain(formula: str) -> str:
    formula = re.sub(r"\\(?:mathrm|text)" + _BRACED, r"\1", formula)
    formula = _COMMAND.sub(_command_text, formula)
    formula = re.sub(r"\^" + _BRACED, _power, formula)
    while re.search(_FRACTION, formula):
        formula = re.sub(_FRACTION, _fraction, formula, count=1)
    return re.sub(r" {2,}", " ", formula).strip()


def _command_text(match: re.Match[str]) -> str:
    command = match[0].rstrip(" ")
    return _LATEX_WORDS.get(command, match[0])


def _power(match: re.Match[str]) -> str:
    exponent = match.group(1)
    return f"^{exponent}" if len(exponent) == 1 else f"^({exponent})"


def _fraction(match: re.Match[str]) -> str:
    """Write ``\\frac{a}{b}`` as ``a/b``, bracketed when a factor follows it."""
    text = f"{_group(match.group(1))}/{_group(match.group(2))}"
    following = match.string[match.end() : match.end() + 1]
    if following.isalpha() or following == "(":
        return f"({text}) "
    return text


def _group(part: str) -> str:
    return part if re.fullmatch(r"[\w.]+", part) else f"({part})"
