"""The one contract every ranker passes, plus the data policy and the metrics they rest on.

The contract runs on a small planted data set: two groups of readers, each liking books
from its own half of a 40-book shelf, so a ranker that learns anything recommends from the
reader's own half.
"""

from __future__ import annotations

import numpy as np
import pytest

from recpilot.catalog import Interactions
from recpilot.errors import UserError
from recpilot.tools.rankers.base import Ranker
from recpilot.tools.rankers.data import UserItems, positives, split_positives
from recpilot.tools.rankers.factory import RANKERS, make_ranker
from recpilot.tools.rankers.metrics import evaluate, topk_metrics

N_USERS, N_ITEMS, PER_USER = 80, 40, 10

#: small and quick settings per ranker for the planted data (defaults are for the demo)
TINY = {
    "popularity": {},
    "itemknn": {"neighbours": 10},
    "mf": {"factors": 8, "epochs": 25, "batch_size": 64, "lr": 0.05, "patience": 25},
    "slim": {"neighbours": 10, "epochs": 10, "batch_size": 16, "patience": 10},
    "bpr": {"factors": 8, "iterations": 200, "learning_rate": 0.05},
}


def planted(seed: int = 0) -> UserItems:
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(N_USERS):
        half = (u % 2) * (N_ITEMS // 2)
        users += [u] * PER_USER
        items += list(half + rng.choice(N_ITEMS // 2, PER_USER, replace=False))
    return UserItems.from_pairs(np.array(users), np.array(items), N_USERS, N_ITEMS)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def split():
    return split_positives(planted(), seed=0)


@pytest.fixture(scope="module", params=sorted(RANKERS))
def fitted(request, split) -> Ranker:
    ranker = make_ranker(request.param, **TINY[request.param])
    ranker.fit(split.train, split.valid, seed=7)
    return ranker


def test_every_ranker_has_contract_settings():
    assert set(TINY) == set(RANKERS)


# --- the shared contract ---------------------------------------------------------------------
class TestRankerContract:
    def test_score_shapes(self, fitted, split):
        scores = fitted.score(split.train, users=np.arange(N_USERS))
        assert scores.shape == (N_USERS, N_ITEMS) and scores.dtype == np.float32
        assert np.isfinite(scores).all()
        subset = np.array([3, 30, 7])
        part = fitted.score(split.train, items=subset, users=np.arange(N_USERS))
        assert part.shape == (N_USERS, 3)
        np.testing.assert_allclose(part, scores[:, subset], rtol=1e-5, atol=1e-5)

    def test_recommend_shapes_and_order(self, fitted, split):
        rows, scores = fitted.recommend(split.train.take([0, 1, 2]), k=5, users=np.array([0, 1, 2]))
        assert rows.shape == scores.shape == (3, 5)
        assert ((rows >= 0) & (rows < N_ITEMS)).all()
        assert (np.diff(scores, axis=1) <= 0).all()

    def test_is_deterministic_with_a_seed(self, fitted, split):
        again = make_ranker(fitted.name, **TINY[fitted.name])
        again.fit(split.train, split.valid, seed=7)
        users = np.arange(N_USERS)
        np.testing.assert_array_equal(again.score(split.train, users=users), fitted.score(split.train, users=users))

    def test_save_load_round_trip(self, fitted, split, tmp_path):
        fitted.save(tmp_path / "model.npz")
        loaded = Ranker.load(tmp_path / "model.npz")
        assert type(loaded) is type(fitted) and loaded.options == fitted.options
        users = np.arange(N_USERS)
        np.testing.assert_array_equal(loaded.score(split.train, users=users), fitted.score(split.train, users=users))
        np.testing.assert_array_equal(loaded.similar_items(np.array([0, 25]), k=3)[0],
                                      fitted.similar_items(np.array([0, 25]), k=3)[0])

    def test_never_recommends_seen_items_when_asked_not_to(self, fitted, split):
        rows, _ = fitted.recommend(split.train, k=10, users=np.arange(N_USERS), filter_seen=True)
        for u in range(N_USERS):
            assert not set(rows[u].tolist()) & set(split.train.row(u).tolist())
        # asking for more than is left pads with -1 instead of repeating seen items
        full, scores = fitted.recommend(split.train.take([0]), k=N_ITEMS, users=np.array([0]))
        left = N_ITEMS - len(split.train.row(0))
        assert (full[0, :left] >= 0).all() and (full[0, left:] == -1).all()
        assert np.isneginf(scores[0, left:]).all()

    def test_scores_for_unknown_users_fall_back(self, fitted, split):
        empty = UserItems.from_lists([[], []], N_ITEMS)
        fallback = fitted.score(empty, users=np.array([-1, 10**6]))  # never seen, or out of range
        np.testing.assert_array_equal(fallback, np.tile(fitted.item_counts, (2, 1)))
        new_reader = UserItems.from_lists([split.train.row(0).tolist()], N_ITEMS)
        folded = fitted.score(new_reader)  # a new reader with a history: no user index at all
        assert folded.shape == (1, N_ITEMS) and np.isfinite(folded).all()

    def test_similar_items_excludes_the_item_itself(self, fitted):
        rows, sims = fitted.similar_items(np.array([0, 25]), k=5)
        assert rows.shape == sims.shape == (2, 5)
        assert 0 not in rows[0] and 25 not in rows[1]
        cand = np.array([1, 2, 3])
        rows, _ = fitted.similar_items(np.array([1]), k=3, candidates=cand)
        assert set(rows[0].tolist()) <= {2, 3, -1}

    def test_learns_the_planted_groups(self, fitted, split):
        if fitted.name == "popularity":
            pytest.skip("popularity ignores the reader by design")
        rows, _ = fitted.recommend(split.train, k=5, users=np.arange(N_USERS))
        own_half = (rows >= N_ITEMS // 2) == (np.arange(N_USERS) % 2 == 1)[:, None]
        assert own_half.mean() >= 0.9
        # and a new reader with only one group's books gets that group
        new_rows, _ = fitted.recommend(UserItems.from_lists([[20, 21, 22, 23]], N_ITEMS), k=5)
        assert (new_rows >= N_ITEMS // 2).mean() >= 0.8

    def test_rejects_histories_of_another_catalog(self, fitted):
        with pytest.raises(UserError):
            fitted.score(UserItems.from_lists([[1]], N_ITEMS + 1))


@pytest.mark.parametrize("name", sorted(RANKERS))
def test_ranker_unfitted_is_a_clear_error(name):
    with pytest.raises(UserError, match="not fitted"):
        make_ranker(name).score(UserItems.from_lists([[1]], 5))


def test_make_ranker_rejects_unknown_names_and_bad_options():
    with pytest.raises(UserError, match="unknown ranker"):
        make_ranker("sasrec")
    with pytest.raises(UserError, match="bad options"):
        make_ranker("mf", factors=0)
    with pytest.raises(UserError, match="bad options"):
        make_ranker("itemknn", neighbors=5)  # a typo is refused, not ignored


def test_ranker_trained_beats_popularity_on_planted_data(split):
    known = split.train.union(split.valid)
    pop = make_ranker("popularity")
    pop.fit(split.train)
    knn = make_ranker("itemknn", **TINY["itemknn"])
    knn.fit(split.train)
    assert evaluate(knn, split.train, split.test, known)["hr@10"] > evaluate(pop, split.train, split.test, known)["hr@10"]


# --- data: ratings to positives, the split ------------------------------------------------------
def test_positives_keep_ratings_of_four_and_up():
    inter = Interactions(users=np.array([0, 0, 0, 1, 1], dtype=np.int32), items=np.array([0, 1, 2, 0, 0], dtype=np.int32),
                         ratings=np.array([5, 3, 4, 1, 4], dtype=np.float32), user_ids=["a", "b"])
    pos = positives(inter, n_items=3)
    assert pos.row(0).tolist() == [0, 2] and pos.row(1).tolist() == [0]  # duplicates count once
    unrated = Interactions(users=inter.users, items=inter.items, ratings=np.full(5, np.nan, dtype=np.float32),
                           user_ids=["a", "b"])
    assert positives(unrated, n_items=3).nnz == 4


def test_split_positives_is_disjoint_complete_and_seeded():
    pos = planted()
    a, b, c = split_positives(pos, seed=1), split_positives(pos, seed=1), split_positives(pos, seed=2)
    for u in range(N_USERS):
        train, valid, test = (set(m.row(u).tolist()) for m in (a.train, a.valid, a.test))
        assert not (train & valid or train & test or valid & test)
        assert train | valid | test == set(pos.row(u).tolist())
        assert len(test) == 2 and len(valid) == 1  # 20% and 10% of 10
    np.testing.assert_array_equal(a.test.indices, b.test.indices)
    assert not np.array_equal(a.test.indices, c.test.indices)


def test_split_positives_keeps_small_users_in_train():
    pos = UserItems.from_lists([[1, 2, 3], list(range(10))], n_items=12)
    split = split_positives(pos, seed=0, min_items=5)
    assert split.train.row(0).tolist() == [1, 2, 3] and len(split.test.row(0)) == 0
    assert len(split.test.row(1)) == 2


def test_useritems_dense_transpose_and_union():
    m = UserItems.from_lists([[2, 0], [1]], n_items=3)
    assert m.dense().tolist() == [[1, 0, 1], [0, 1, 0]]
    assert m.transpose().row(0).tolist() == [0] and m.transpose().row(1).tolist() == [1]
    assert m.union(UserItems.from_lists([[1], [1]], 3)).dense().tolist() == [[1, 1, 1], [0, 1, 0]]
    with pytest.raises(ValueError):
        UserItems.from_pairs(np.array([0]), np.array([5]), 1, 3)


# --- metrics ----------------------------------------------------------------------------------
def test_topk_metrics_match_hand_computed_values():
    relevant = np.zeros((2, 60), dtype=np.float32)
    relevant[0, [5, 7]] = 1  # found at ranks 1 and 12
    relevant[1, [59]] = 1  # never in the top 50
    top = np.array([[5] + list(range(8, 18)) + [7] + list(range(18, 56)),
                    list(range(0, 50))])
    m = topk_metrics(top, relevant)
    assert m["hr@10"].tolist() == [1.0, 0.0]
    assert m["ndcg@10"][0] == pytest.approx(1.0 / (1.0 + 1.0 / np.log2(3)))
    assert m["recall@50"].tolist() == [1.0, 0.0]


class _Oracle(Ranker):
    """Knows the answers: shows that evaluate() rewards exactly the held-out items."""

    name = "oracle-for-tests"

    def __init__(self, answers: UserItems | None = None):
        super().__init__()
        self.answers = answers

    def _fit(self, train, valid, *, seed, epochs, progress):
        return None

    def _score(self, histories, users, items):
        return self.answers.dense(users)[:, items]

    def _item_similarity(self, items, candidates):
        return np.zeros((len(items), len(candidates)))

    def _state(self):
        return {}

    def _set_state(self, state):
        return None

    @property
    def uses_users(self) -> bool:
        return True


def test_evaluate_gives_a_perfect_ranker_full_marks(split):
    oracle = _Oracle(split.test)
    oracle.fit(split.train)
    m = evaluate(oracle, split.train, split.test, split.train.union(split.valid))
    assert m == {"hr@10": 1.0, "ndcg@10": 1.0, "recall@50": 1.0, "users": N_USERS}


# --- files ------------------------------------------------------------------------------------
def test_a_checkpoint_in_the_torch_format_of_before_still_loads(tmp_path):
    """HOMEs trained before models became .npz keep working (read once through torch)."""
    import torch

    train = UserItems.from_lists([[0, 1], [1, 2], [0, 2]], 3)
    knn = make_ranker("itemknn", neighbours=2)
    knn.fit(train)
    blob = {"format": 1, "ranker": "itemknn", "options": knn.options.model_dump(), "n_users": 3, "n_items": 3,
            "item_counts": torch.from_numpy(knn.item_counts),
            "state": {"neighbours": torch.from_numpy(knn.neighbours), "sims": torch.from_numpy(knn.sims)}}
    torch.save(blob, tmp_path / "itemknn.pt")
    loaded = Ranker.load(tmp_path / "itemknn.pt")
    np.testing.assert_array_equal(loaded.score(train), knn.score(train))


def test_a_truncated_checkpoint_is_a_clear_error(tmp_path):
    knn = make_ranker("itemknn", neighbours=2)
    knn.fit(UserItems.from_lists([[0, 1], [1, 2]], 3))
    knn.save(tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "m.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="cannot read"):
        Ranker.load(tmp_path / "m.npz")


def test_saving_twice_gives_the_same_bytes(tmp_path):
    """Shipped models are rebuilt and compared by hash: no timestamps in the file."""
    knn = make_ranker("itemknn", neighbours=2)
    knn.fit(UserItems.from_lists([[0, 1], [1, 2]], 3))
    knn.save(tmp_path / "a.npz")
    knn.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
