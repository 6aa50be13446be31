"""BPR matrix factorisation trained by the ``implicit`` library (Frederickson, maintained and
multi-threaded in C++), scored here in numpy like ``MFRanker``: score(u, i) = p_u · q_i + b_i,
with the same fold-in of a new user's history (see ``mf.py``). ``mf`` is the same model
trained by our own torch loop; this one is the library's."""

from __future__ import annotations

from pydantic import Field

from recpilot.tools.rankers.base import RankerOptions
from recpilot.tools.rankers.data import UserItems
from recpilot.tools.rankers.mf import MFRanker


class BPROptions(RankerOptions):
    factors: int = Field(64, ge=1, le=1024)
    learning_rate: float = Field(0.05, gt=0, le=1.0)
    regularization: float = Field(0.01, ge=0)
    iterations: int = Field(100, ge=1, le=10_000)
    fold_in_alpha: float = Field(0.01, ge=0, description="weight of 'every item scores 0' in fold-in")
    fold_in_reg: float = Field(1.0, gt=0)


class BPRRanker(MFRanker):
    name = "bpr"
    Options = BPROptions

    def _fit(self, train: UserItems, valid, *, seed, epochs, progress):
        from recpilot.training.implicit_models import fit_bpr

        return fit_bpr(self, train, seed=seed, iterations=epochs)
