"""``actlab cards``: review the due flash cards in the terminal."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from .. import lessons
from ..practice import Rating, parse_rating
from ._store import (
    database_url_option,
    describe_when,
    lab_url,
    open_store,
    plural,
    utc_now,
)

if TYPE_CHECKING:
    from ..store import CardView, Store

QUIT = ("q", "quit")
RATING_PROMPT = "Rating: 1 again, 2 hard, 3 good, 4 easy (q to quit)"


@click.command("cards")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Maximum number of cards to review in this session. Default: all due.",
)
@click.option(
    "--practice",
    is_flag=True,
    help="Go through every card, due or not, and log the reviews without moving "
    "the cards' schedules.",
)
@click.option(
    "--new-per-day",
    type=click.IntRange(min=0),
    help="Maximum number of new cards to introduce per day. Default: 20.",
)
@database_url_option()
def cards_command(
    limit: int | None, practice: bool, new_per_day: int | None, database_url
) -> None:
    """Review the due flash cards, the same queue as the web lab's.

    Each card shows its front. Press Enter to reveal the back, then rate how
    well you recalled it. Every rating is saved at once, so quitting with q
    keeps the reviews made so far.
    """
    console = Console(highlight=False)
    options = {} if new_per_day is None else {"new_per_day": new_per_day}
    with open_store(database_url, **options) as store:
        now = utc_now()
        # Practice mode goes through every card, as on the lab's cards page.
        queue = store.cards(now) if practice else store.due_cards(now=now)
        if not queue:
            _print_nothing_due(console, store, now)
            return

        session = queue if limit is None else queue[:limit]
        _print_queue_size(console, queue, len(session), practice)
        ratings = _review_all(console, store, session, practice)
        _print_summary(console, store, ratings, practice)


def _print_queue_size(
    console: Console, queue: list[CardView], reviewing: int, practice: bool
) -> None:
    new = sum(card.is_new for card in queue)
    text = f"{plural(len(queue) - new, 'card')} due for review and {new} new"
    if practice:
        text = f"{plural(len(queue), 'card')} to practise"
    if reviewing < len(queue):
        text += f", reviewing {reviewing}"
    if practice:
        text += " (practice mode: schedules stay unchanged)"
    console.print(text + ".", soft_wrap=True)


def _review_all(
    console: Console, store: Store, session: list[CardView], practice: bool
) -> Counter[Rating]:
    """Review each card of ``session`` in turn and count the ratings given."""
    ratings: Counter[Rating] = Counter()
    for number, card in enumerate(session, start=1):
        console.print()
        console.print(_front_panel(card, number, len(session)))
        if _ask("Press Enter to show the back (q to quit)") in QUIT:
            break
        console.print(_back_panel(card))

        rating = _ask_rating(console)
        if rating is None:
            break
        review = store.review(card.id, rating, practice=practice, now=utc_now())
        ratings[review.rating] += 1
        _print_review(console, review.card, rating, practice)
    return ratings


def _front_panel(card: CardView, number: int, total: int) -> Panel:
    state = "new card" if card.is_new else card.state.state
    title = f"Card {number} of {total}: {card.id}"
    concept = lessons.concept_titles().get(card.concept or "", card.concept)
    subtitle = f"{concept}, {state}" if concept else state
    return Panel(Text(card.front), title=title, subtitle=subtitle, title_align="left")


def _back_panel(card: CardView) -> Panel:
    body = Text(card.back)
    if card.opens:
        body.append(f"\n\nIn the web lab: {lab_url(card.opens)}", style="dim")
    return Panel(body, title="Back", title_align="left")


def _ask(prompt: str) -> str:
    """Prompt for one line. End of input and Ctrl-C count as quitting."""
    try:
        reply = click.prompt(prompt, default="", show_default=False)
    except click.Abort:
        return QUIT[0]
    return reply.strip().lower()


def _ask_rating(console: Console) -> Rating | None:
    """Ask until the reply is a valid rating. Return ``None`` if the learner quits."""
    while True:
        reply = _ask(RATING_PROMPT)
        if reply in QUIT:
            return None
        try:
            return parse_rating(int(reply) if _is_small_number(reply) else reply)
        except ValueError as error:
            console.print(Text(f"{error}, or q to quit.", style="red"), soft_wrap=True)


def _is_small_number(reply: str) -> bool:
    # isdigit alone accepts digits such as "²" that int() rejects.
    return reply.isascii() and reply.isdigit() and len(reply) < 4


def _print_review(
    console: Console, card: CardView, rating: Rating, practice: bool
) -> None:
    name = rating.name.lower()
    if practice:
        console.print(f"Rated {name}. Practice mode: the schedule is unchanged.")
        return
    due = describe_when(card.due, utc_now())
    console.print(f"Rated {name}. Next review {due}.")


def _print_summary(
    console: Console, store: Store, ratings: Counter[Rating], practice: bool
) -> None:
    reviewed = sum(ratings.values())
    parts = [f"{ratings[r]} {r.name.lower()}" for r in Rating if ratings[r]]
    counts = f" ({', '.join(parts)})" if parts else ""
    console.print()
    mode = " in practice mode" if practice else ""
    console.print(f"Reviewed {plural(reviewed, 'card')}{counts}{mode}.")

    now = utc_now()
    still_due = store.due_cards(now=now)
    if still_due:
        new = sum(card.is_new for card in still_due)
        console.print(
            f"Still in the queue: {plural(len(still_due) - new, 'card')} due for "
            f"review and {new} new."
        )
    else:
        _print_next_due(console, store, now)


def _print_nothing_due(console: Console, store: Store, now: datetime) -> None:
    console.print("No cards are due.")
    _print_next_due(console, store, now)


def _print_next_due(console: Console, store: Store, now: datetime) -> None:
    """Print when the next card falls due, and any new cards held back today."""
    cards = store.cards(now=now)
    upcoming = [card.due for card in cards if card.due > now]
    held_back = sum(1 for card in cards if card.is_new and card.due <= now)
    if upcoming:
        console.print(f"The next card is due {describe_when(min(upcoming), now)}.")
    if held_back:
        console.print(
            f"{plural(held_back, 'new card')} wait for tomorrow: today's limit of "
            f"{plural(store.new_per_day, 'new card')} is used up. Raise it with "
            "--new-per-day."
        )
    if not upcoming and not held_back:
        console.print("The lesson has no cards to schedule.")
