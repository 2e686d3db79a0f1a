"""The HTML exercise sheet sets its answers and worked solutions in MathML, as a model's HTML
page does (it showed them as plain-text code blocks), with one digit grouping on every line
(``= 2,312`` above ``params = 2312 + 180100 = 182,412``)."""

from __future__ import annotations

import re
from xml.dom import minidom

import symcnn as sc


def solutions(page: str) -> str:
    return page.split("<h2>Solutions</h2>")[1]


def test_worked_solutions_are_mathml_not_code_blocks():
    items = sc.exercises.generate("params", n=4, seed=1)
    page = sc.exercises.sheet(items, format="html")
    shown = solutions(page)
    assert "<pre>" not in shown and "<code>" not in shown
    assert shown.count("<li>") == len(items)
    assert all("<strong>Answer:</strong> <math" in li for li in shown.split("<li>")[1:])
    minidom.parseString("<body>" + shown.split("</ol>")[0] + "</ol></body>")  # well-formed
    # the formulas' symbols as the HTML derivations print them
    assert "<msub><mi>C</mi><mi>in</mi></msub>" in shown


def test_a_total_groups_its_terms_as_the_lines_above_it():
    items = sc.exercises.generate("params", n=4, seed=1)
    (total,) = [x for x in items if any(line.text == "Total:" for line in x.solution)]
    page = solutions(sc.exercises.sheet([total], format="html"))
    numbers = [n for n in re.findall(r"<mn>([\d,]+)</mn>", page) if len(n.replace(",", "")) > 3]
    assert numbers and all("," in n for n in numbers), numbers
    for record in total.model.layers:  # each layer's count, grouped, on its line and in the sum
        if record.params >= 1000:
            assert page.count(f"<mn>{int(record.params):,}</mn>") >= 2


def test_a_subscript_in_braces_shows_without_them():
    items = sc.exercises.generate("receptive_field", n=2, seed=1)
    page = sc.exercises.sheet(items, format="html")
    assert "{" not in re.sub(r"<style>.*?</style>", "", page)  # r_{i-1}: r with i - 1 below
    assert "<msub><mi>r</mi><mrow><mi>i</mi><mo>\u2212</mo><mn>1</mn></mrow></msub>" in page
