"""Coverage studies for the web face: computed once per question and kept (they take seconds).

A study depends only on its parameters and on data shipped with the product, so answers are kept in
a small in-process cache; concurrent requests for the same study wait for one computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from leviers.coverage import CoverageStudy, run_study

WEB_TIME_LIMIT_S = 20.0  # the solver's limit for a request; the greedy answer stands beyond it
CACHE_SIZE = 8


@dataclass(frozen=True)
class StudyQuestion:
    region: str
    threshold_min: float
    new_sites: int
    target_share: float | None


class StudyCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._studies: OrderedDict[StudyQuestion, CoverageStudy] = OrderedDict()
        self._locks: dict[StudyQuestion, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, question: StudyQuestion) -> CoverageStudy:
        with self._guard:
            if question in self._studies:
                self._studies.move_to_end(question)
                return self._studies[question]
            lock = self._locks.setdefault(question, threading.Lock())
        with lock:
            with self._guard:
                if question in self._studies:
                    return self._studies[question]
            study = run_study(
                question.region,
                threshold_min=question.threshold_min,
                new_sites=question.new_sites or None,
                target_share=question.target_share,
                time_limit_s=WEB_TIME_LIMIT_S,
            )
            with self._guard:
                self._studies[question] = study
                while len(self._studies) > self.size:
                    self._studies.popitem(last=False)
                self._locks.pop(question, None)
            return study
