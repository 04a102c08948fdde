"""Primary and complementary cell suppression (leviers.hosted.secrecy) on hand-computed tables."""

from __future__ import annotations

from leviers.hosted.secrecy import Cell, suppress


def test_a_region_with_one_secret_departement_hides_a_second() -> None:
    """Région R = départements A + B + C. A's aggregated-only needs come from 1 organisation
    (primary); B (5 needs, 4 organisations) and C (3 needs, 3 organisations) pass. Shown alone
    beside R's total, A would be R − B − C: the smallest other département, C, is hidden too."""
    cells = {
        "R": Cell(needs=9, aggregated=9, organisations=5),
        "A": Cell(needs=1, aggregated=1, organisations=1),
        "B": Cell(needs=5, aggregated=5, organisations=4),
        "C": Cell(needs=3, aggregated=3, organisations=3),
    }
    found = suppress(cells, [("R", ["A", "B", "C"])])
    assert found.primary == {"A"}
    assert found.complementary == {"C"}
    assert "R" not in found
    assert "B" not in found


def test_no_complement_hides_the_total() -> None:
    """A 2 × 2 table (rows r1, r2; columns c1, c2; grand total G), counts of needs:

    |    | c1            | c2                    | total |
    | r1 | a: 1 (1 org)  | b: 4 (3 orgs)         | r1: 5 |
    | r2 | c: 5 (3 orgs) | d: 2 (detail only)    | r2: 7 |
    | total | c1: 6      | c2: 6                 | G: 12 |

    a is primary. Row r1: a alone → b (the only cell with an aggregated-only need). Column c1: a
    alone → c. Column c2: b alone, and d is detail only (listed by name: hiding it protects
    nothing) → no complement: the total c2 is hidden. Row r2: c alone, d detail only → r2 hidden.
    Margin of the rows (G = r1 + r2): r2 alone → r1. Margin of the columns: c2 alone → c1. Then
    every margin holds 0 or at least 2 hidden members; G and d stay shown."""
    cells = {
        "a": Cell(1, 1, 1), "b": Cell(4, 4, 3), "c": Cell(5, 5, 3), "d": Cell(2, 0, 0),
        "r1": Cell(5, 5, 4), "r2": Cell(7, 5, 3), "c1": Cell(6, 6, 4), "c2": Cell(6, 4, 3),
        "G": Cell(12, 10, 5),
    }  # fmt: skip
    margins = [
        ("r1", ["a", "b"]), ("r2", ["c", "d"]), ("c1", ["a", "c"]), ("c2", ["b", "d"]),
        ("G", ["r1", "r2"]), ("G", ["c1", "c2"]),
    ]  # fmt: skip
    found = suppress(cells, margins)
    assert found.primary == {"a"}
    assert found.complementary == {"b", "c", "c2", "r2", "r1", "c1"}
    assert "G" not in found
    assert "d" not in found
    for total, parts in margins:
        assert sum(member in found for member in [total, *parts]) != 1


def test_nothing_changes_without_a_secret_cell() -> None:
    cells = {"R": Cell(9, 9, 6), "A": Cell(3, 3, 3), "B": Cell(6, 4, 3), "C": Cell(0 + 2, 0, 0)}
    found = suppress(cells, [("R", ["A", "B", "C"])])
    assert found.hidden == frozenset()


def test_two_secret_cells_need_no_complement_and_detail_only_cells_are_never_secret() -> None:
    cells = {
        "R": Cell(9, 8, 5),
        "A": Cell(2, 2, 2),
        "B": Cell(1, 1, 1),
        "C": Cell(5, 5, 3),
        "D": Cell(1, 0, 0),  # public in detail only
    }
    found = suppress(cells, [("R", ["A", "B", "C", "D"])])
    assert (found.primary, found.complementary) == ({"A", "B"}, frozenset())


def test_a_cell_no_page_shows_is_the_first_complement() -> None:
    """A département D = communes K (1 organisation: primary) + L + the needs without a commune
    (shown nowhere, X). Hiding X costs nothing: it is taken before the smaller commune L."""
    cells = {
        "D": Cell(10, 10, 6),
        "K": Cell(1, 1, 1),
        "L": Cell(2, 2, 3),
        "X": Cell(7, 7, 5, published=False),
    }
    found = suppress(cells, [("D", ["K", "L", "X"])])
    assert found.complementary == {"X"}


def test_ties_go_to_the_lowest_rank_whatever_the_order() -> None:
    cells = {"R": Cell(7, 7, 5), "A": Cell(1, 1, 1), "C": Cell(3, 3, 3), "B": Cell(3, 3, 3)}
    assert suppress(cells, [("R", ["A", "C", "B"])]).complementary == {"B"}
    assert suppress(dict(reversed(cells.items())), [("R", ["C", "B", "A"])]).complementary == {"B"}


def test_the_order_of_the_margins_changes_nothing() -> None:
    """The 2 × 2 table of test_no_complement_hides_the_total, margins given in every rotation."""
    cells = {
        "a": Cell(1, 1, 1), "b": Cell(4, 4, 3), "c": Cell(5, 5, 3), "d": Cell(6, 6, 3),
        "r1": Cell(5, 5, 4), "r2": Cell(11, 11, 3), "c1": Cell(6, 6, 4), "c2": Cell(10, 10, 3),
        "G": Cell(16, 16, 5),
    }  # fmt: skip
    margins = [
        ("r1", ["a", "b"]), ("r2", ["c", "d"]), ("c1", ["a", "c"]), ("c2", ["b", "d"]),
        ("G", ["r1", "r2"]), ("G", ["c1", "c2"]),
    ]  # fmt: skip
    results = {suppress(cells, margins[i:] + margins[:i]).hidden for i in range(len(margins))}
    results |= {suppress(cells, list(reversed(margins))).hidden}
    # a alone in r1 → b; in c1 → c; then b alone in c2 (and c in r2) → d; G and its margins shown.
    assert results == {frozenset({"a", "b", "c", "d"})}


def test_two_single_organisation_cells_need_a_third() -> None:
    """R = A + B + C + D; A and B each hold one organisation's aggregated-only need (primary), C
    5 needs of 4 organisations, D 3 needs of 3. A's organisation knows its own figures, so it would
    read B's as R − A − C − D: the smallest other cell, D, is hidden too. With 2 organisations in
    A, neither of them knows all of A: A and B are enough."""
    cells = {
        "R": Cell(10, 10, 8), "A": Cell(1, 1, 1), "B": Cell(1, 1, 1), "C": Cell(5, 5, 4), "D": Cell(3, 3, 3),
    }  # fmt: skip
    found = suppress(cells, [("R", ["A", "B", "C", "D"])])
    assert (found.primary, found.complementary) == ({"A", "B"}, {"D"})
    cells["A"] = Cell(2, 2, 2)
    assert suppress(cells, [("R", ["A", "B", "C", "D"])]).complementary == frozenset()
