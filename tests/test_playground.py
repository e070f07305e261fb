"""The playground's session logic: state, training, frames, export and manager."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest

from actlab import activations, playground
from actlab.playground import (
    Budget,
    Grid,
    InvalidField,
    PlaygroundState,
    Session,
    SessionLimitReached,
    SessionManager,
    _export,
    _frames,
    _session,
)

VALID_QUERIES = [
    {},
    {"dataset": "xor", "noise": "25", "ratio": "70", "batch": "1", "seed": "7"},
    {"dataset": "blobs", "hidden": "", "act": "relu"},
    {"dataset": "plane", "hidden": "8,8,8,8,8,8", "act": "elu", "output": "linear"},
    {"dataset": "spiral", "features": "sinx2,x1,x1x2,x1sq", "init": "tfp"},
    {"dataset": "gauss", "act": "relu,tanh", "opt": "adam", "lr": "0.00001"},
    {"dataset": "circle", "reg": "l1", "rate": "0.003", "loss": "mse"},
    {"dataset": "multigauss", "points": "2000", "opt": "momentum", "lr": "10"},
    {"edits": "0.1.2:0.5;1.0.0:-1.25", "seed": "2147483647"},
    {"dataset": "csv", "hidden": "3"},
]

INVALID_QUERIES = [
    ({"dataset": "moons"}, "dataset", "circle"),
    ({"noise": "51"}, "noise", "0 to 50"),
    ({"ratio": "5"}, "ratio", "10 to 90"),
    ({"batch": "0"}, "batch", "1 to 30"),
    ({"batch": "2.5"}, "batch", "1 to 30"),
    ({"seed": "-1"}, "seed", "0 to"),
    ({"points": "99"}, "points", "100 to 2000"),
    ({"features": ""}, "features", "x1sq"),
    ({"features": "x3"}, "features", "sinx1"),
    ({"hidden": "9"}, "hidden", "1 to 8"),
    ({"hidden": "1,1,1,1,1,1,1"}, "hidden", "at most 6"),
    ({"act": "softmax"}, "act", "tanh"),
    ({"act": "relu,tanh,elu"}, "act", "one per hidden layer"),
    ({"act": "nope"}, "act", "relu"),
    ({"output": "nope"}, "output", "sigmoid"),
    ({"loss": "hinge"}, "loss", "softmax_ce"),
    ({"opt": "rmsprop"}, "opt", "momentum"),
    ({"lr": "0"}, "lr", "(0, 10]"),
    ({"lr": "11"}, "lr", "(0, 10]"),
    ({"lr": "nan"}, "lr", "(0, 10]"),
    ({"reg": "l3"}, "reg", "l2"),
    ({"rate": "-1"}, "rate", "[0, 10]"),
    ({"init": "zeros"}, "init", "tfp"),
    ({"edits": "0.1"}, "edits", "layer.from.to:value"),
    ({"edits": "5.0.0:1"}, "edits", "weight layers 0 to 2"),
    ({"edits": "0.0.4:1"}, "edits", "units 0 to 3"),
    ({"colour": "red"}, "colour", "dataset"),
    ({"dataset": "blobs", "output": "sigmoid"}, "output", "softmax"),
    ({"dataset": "circle", "output": "softmax"}, "output", "multi-class"),
    ({"dataset": "plane", "loss": "bce"}, "loss", "binary"),
    ({"dataset": "plane", "loss": "softmax_ce"}, "loss", "multi-class"),
]


def small_state(**changes) -> PlaygroundState:
    query = {"points": "200", "hidden": "4", **changes}
    return PlaygroundState.from_query(query)


# --- state ---------------------------------------------------------------------


@pytest.mark.parametrize("query", VALID_QUERIES)
def test_state_query_round_trip(query):
    state = PlaygroundState.from_query(query)
    again = PlaygroundState.from_query(state.to_query())
    assert again == state
    assert again.to_query() == state.to_query()


def test_state_defaults_match_protocol():
    query = PlaygroundState().to_query()
    assert query["dataset"] == "circle"
    assert query["features"] == "x1,x2"
    assert query["hidden"] == "4,2"
    assert query["act"] == "tanh"
    assert query["lr"] == "0.03"
    assert "edits" not in query


def test_state_accepts_json_values():
    state = PlaygroundState.from_query(
        {"hidden": [8, 8], "features": ["x2", "x1"], "lr": 0.1, "noise": 10}
    )
    assert state.hidden == (8, 8)
    assert state.features == ("x1", "x2")
    assert state.lr == 0.1
    assert state.noise == 10


def test_state_normalises_aliases_and_layers():
    state = PlaygroundState.from_query({"act": "swish,swish", "hidden": "3,3"})
    assert state.act == ("silu", "silu")
    assert state.to_query()["act"] == "silu"
    assert state.hidden_activations() == ["silu", "silu"]


@pytest.mark.parametrize(("query", "field", "hint"), INVALID_QUERIES)
def test_state_rejects_invalid_value(query, field, hint):
    with pytest.raises(InvalidField) as raised:
        PlaygroundState.from_query(query)
    assert raised.value.field == field
    assert hint in str(raised.value)


def test_state_rejects_non_mapping():
    with pytest.raises(InvalidField) as raised:
        PlaygroundState.from_query(["dataset"])
    assert raised.value.field == "state"


@pytest.mark.parametrize(
    ("output", "loss", "task", "expected"),
    [
        ("auto", "auto", "binary", ("sigmoid", "bce")),
        ("auto", "auto", "multiclass", ("softmax", "softmax_ce")),
        ("auto", "auto", "regression", ("linear", "mse")),
        ("auto", "mse", "binary", ("tanh", "mse")),
        ("sigmoid", "auto", "binary", ("sigmoid", "bce")),
        ("sigmoid", "mse", "binary", ("sigmoid", "mse")),
        ("relu", "auto", "regression", ("relu", "mse")),
    ],
)
def test_resolve_head_fills_auto(output, loss, task, expected):
    assert playground.resolve_head(output, loss, task) == expected


def test_hidden_activations_come_from_registry():
    names = playground.hidden_activation_names()
    elementwise = [spec.name for spec in activations.specs() if not spec.vector]
    assert list(names) == elementwise
    assert "softmax" not in names


# --- session -------------------------------------------------------------------


def test_session_training_lowers_loss():
    session = Session(small_state(dataset="circle", hidden="8,8", lr="0.1"))
    first = session.history["train_loss"][0]
    for _ in range(60):
        assert session.run_epoch() is None
    assert session.epoch == 60
    assert session.history["train_loss"][-1] < 0.5 * first
    assert session.history["test_metric"][-1] > 0.9
    assert session.head.metric_name == "accuracy"


def test_session_is_deterministic():
    runs = []
    for _ in range(2):
        session = Session(small_state(dataset="xor"))
        session.train_for(math.inf, 5)
        runs.append(session.network.parameters.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_session_reset_restores_start():
    session = Session(small_state())
    start = session.network.parameters.copy()
    session.train_for(math.inf, 3)
    assert not np.array_equal(session.network.parameters, start)
    session.reset()
    assert session.epoch == 0
    assert session.history["epoch"] == [0]
    np.testing.assert_array_equal(session.network.parameters, start)


def test_session_learning_rate_change_keeps_weights():
    session = Session(small_state())
    session.train_for(math.inf, 2)
    weights = session.network.parameters.copy()
    session.set_learning_rate(0.3)
    assert session.epoch == 2
    assert session.optimiser.learning_rate == 0.3
    assert session.state.lr == 0.3
    np.testing.assert_array_equal(session.network.parameters, weights)


def test_session_regularisation_change_keeps_epoch():
    session = Session(small_state())
    session.train_for(math.inf, 2)
    session.set_regularisation("l2", 0.01)
    assert session.epoch == 2
    assert session.penalty.l2 == 0.01
    session.set_regularisation("none")
    assert session.penalty is None


def test_session_rejects_bad_control_unchanged():
    session = Session(small_state())
    with pytest.raises(InvalidField) as raised:
        session.set_learning_rate("fast")
    assert raised.value.field == "lr"
    assert session.state.lr == 0.03
    with pytest.raises(InvalidField) as raised:
        session.set_batch(31)
    assert raised.value.field == "batch"


def test_session_regenerate_keeps_network():
    session = Session(small_state(dataset="gauss", noise="30"))
    weights = session.network.parameters.copy()
    points = session.train_set.X.copy()
    session.regenerate()
    np.testing.assert_array_equal(session.network.parameters, weights)
    assert not np.array_equal(session.train_set.X, points)
    assert session.data_seed == session.state.seed + 1


def test_session_edit_weight_recorded():
    session = Session(small_state())
    session.edit_weight(0, 1, 2, 0.75)
    assert session.network.layers[0].W[1, 2] == 0.75
    assert session.state.edits == ((0, 1, 2, 0.75),)
    rebuilt = Session(PlaygroundState.from_query(session.state.to_query()))
    assert rebuilt.network.layers[0].W[1, 2] == 0.75


@pytest.mark.parametrize(
    ("field", "args"),
    [("layer", (2, 0, 0, 1.0)), ("from", (0, 2, 0, 1.0)), ("to", (1, 0, 1, 1.0))],
)
def test_session_edit_weight_rejects_index(field, args):
    session = Session(small_state())
    with pytest.raises(InvalidField) as raised:
        session.edit_weight(*args)
    assert raised.value.field == field


def test_session_divergence_pauses_finite():
    state = small_state(
        dataset="plane", features="x1sq,x2sq,x1x2", lr="10", act="linear"
    )
    session = Session(state)
    session.playing = True
    done, reason = session.train_for(math.inf, 50)
    assert reason is not None
    assert f"epoch {done + 1}" in reason
    assert "learning rate 10" in reason
    assert session.playing is False
    assert session.epoch == done
    assert np.isfinite(session.network.parameters).all()
    assert all(math.isfinite(v) for v in session.history["train_loss"])


def test_session_regression_reports_r2():
    session = Session(small_state(dataset="plane"))
    session.train_for(math.inf, 30)
    assert session.head.metric_name == "r2"
    assert session.history["train_metric"][-1] > 0.8


def test_session_binary_mse_uses_signed_labels():
    session = Session(small_state(dataset="xor", loss="mse"))
    assert session.head.output == "tanh"
    assert session.head.labels == (-1.0, 1.0)
    assert set(np.unique(session.T_train)) == {-1.0, 1.0}


def test_session_rejects_output_out_of_range():
    with pytest.raises(InvalidField) as raised:
        Session(small_state(dataset="plane", output="sigmoid"))
    assert raised.value.field == "output"
    assert "linear" in str(raised.value)


def test_session_multiclass_blobs():
    session = Session(small_state(dataset="blobs"))
    assert session.network.n_outputs == 3
    session.train_for(math.inf, 20)
    assert session.history["train_metric"][-1] > 0.8


def test_tfp_initialiser_matches_playground():
    session = Session(small_state(init="tfp", hidden="8,8"))
    for layer in session.network.layers:
        assert np.all(np.abs(layer.W) <= 0.5)
        assert np.all(layer.b == 0.1)
    assert np.std(session.network.layers[1].W) > 0.2


CSV_GOOD = "a,b,label\n" + "\n".join(
    f"{i},{(i * 7) % 11},{'yes' if i % 2 else 'no'}" for i in range(40)
)


def test_session_csv_upload():
    session = Session(small_state())
    session.upload_csv(CSV_GOOD, "label")
    assert session.state.dataset == "csv"
    assert session.train_set.task.value == "binary"
    assert np.abs(session.train_set.X).max() <= 6.0
    assert session.epoch == 0


@pytest.mark.parametrize(
    ("text", "target", "hint"),
    [
        ("a,b,label\n1,2,x\n", "missing", "missing"),
        ("a,b,c,label\n" + "1,2,3,0\n2,3,4,1\n" * 5, "label", "two features"),
        ("a,label\n1,0\n2,1\n3,0\n4,1\n", "label", "two features"),
        ("a,b,label\n1,x,0\n2,3,1\n", "label", "numeric"),
    ],
)
def test_session_csv_rejected(text, target, hint):
    session = Session(small_state())
    with pytest.raises(InvalidField) as raised:
        session.upload_csv(text, target)
    assert raised.value.field == "text"
    assert hint in str(raised.value)
    assert session.state.dataset == "circle"


def test_session_csv_needs_upload():
    with pytest.raises(InvalidField) as raised:
        Session(small_state(dataset="csv"))
    assert raised.value.field == "dataset"


def test_slopes_from_output_match_registry():
    z = np.linspace(-4, 4, 81).reshape(9, 9)
    for name, slope in _session._SLOPES_FROM_OUTPUT.items():
        activation = activations.get(name)
        np.testing.assert_allclose(
            slope(z, activation(z)), activation.derivative(z), atol=1e-12
        )


# --- frames --------------------------------------------------------------------


def test_frame_maps_match_network():
    session = Session(small_state(hidden="3,2", features="x1,x2,x1x2"))
    session.train_for(math.inf, 3)
    grid = Grid.build(7, 5)
    frame = session.frame(grid)
    maps = frame["grid"]
    assert len(maps["output"]) == 49
    assert [len(layer) for layer in maps["units"]] == [3, 2]
    assert len(maps["features"]) == 3
    point = grid.points[:1]
    inputs = playground.transform(point, session.state.features)
    assert point.tolist() == [[-6.0, 6.0]]
    expected = session.predict_map(session.network(inputs))[0]
    assert maps["output"][0] == pytest.approx(expected, abs=1e-3)
    unit_point = grid.points[grid.split + 4 : grid.split + 5]
    hidden = session.network.layers[0]
    inputs = playground.transform(unit_point, session.state.features)
    activation = hidden.activation(inputs @ hidden.W + hidden.b)
    assert maps["units"][0][2][4] == pytest.approx(activation[0, 2], abs=1e-3)


def test_frame_history_sends_new_points():
    session = Session(small_state())
    grid = Grid.build(5, 5)
    first = session.frame(grid)
    assert first["full"] is True
    assert first["history"]["epoch"] == [0]
    session.train_for(math.inf, 3)
    second = session.frame(grid)
    assert second["full"] is False
    assert second["history"]["epoch"] == [1, 2, 3]
    assert len(second["history"]["grad_norms"]) == 3
    assert second["epoch"] == 3


def test_frame_stats_count_dead_units():
    session = Session(small_state(act="relu", hidden="4,3"))
    session.network.layers[0].b = -100.0
    stats = session.frame(Grid.build(5, 5))["stats"]
    assert stats["dead"][0] == 4
    assert stats["saturated"][0] is None
    assert stats["units"] == [4, 3, 1]
    assert stats["z_hist"][0]["flat"] == [[None, 0.0]]
    assert sum(stats["z_hist"][0]["counts"]) == 4 * len(session.X_train)


def test_frame_stats_count_saturated_units():
    session = Session(small_state(act="sigmoid", hidden="4"))
    session.network.layers[0].W = 0.0
    session.network.layers[0].b = 50.0
    stats = session.frame(Grid.build(5, 5))["stats"]
    assert stats["saturated"][0] == 4
    assert stats["dead"][0] is None


def test_flat_intervals_from_registry():
    assert playground.flat_intervals(activations.get("relu")) == ((None, 0.0),)
    assert playground.flat_intervals(activations.get("linear")) == ()
    low, high = playground.flat_intervals(activations.get("tanh"))
    assert low[0] is None
    assert high[1] is None
    assert low[1] == pytest.approx(-high[0], abs=0.011)
    assert 2.5 < high[0] <= 3.0
    hard = playground.flat_intervals(activations.get("hard_tanh"))
    assert hard == ((None, -1.0), (1.0, None))


# --- export --------------------------------------------------------------------


def test_export_json_has_weights():
    session = Session(small_state())
    session.train_for(math.inf, 2)
    model = _export.model_dict(session)
    assert model["layers"][0]["W"] == session.network.layers[0].W.tolist()
    assert model["state"] == session.state.to_query()
    assert [layer["activation"] for layer in model["layers"]] == ["tanh", "linear"]


def test_torch_expressions_cover_registry():
    for name in playground.hidden_activation_names():
        params = activations.spec(name).defaults()
        assert "x" in playground.torch_activation(name, params)


@pytest.mark.parametrize(
    "query",
    [
        {"dataset": "circle", "act": "relu,gelu", "hidden": "3,3"},
        {"dataset": "blobs", "act": "leaky_relu", "features": "x1,x2,sinx1"},
        {"dataset": "plane", "act": "softplus", "features": "x1sq,x2sq,x1x2"},
        {"dataset": "xor", "loss": "mse", "act": "silu"},
    ],
)
def test_export_pytorch_reproduces_outputs(query, tmp_path):
    session = Session(PlaygroundState.from_query({"points": "200", **query}))
    session.train_for(math.inf, 3)
    code = _export.pytorch_code(session)
    compile(code, "playground_model.py", "exec")
    assert "actlab" not in code.replace("actlab playground", "")
    for layer in session.network.layers:
        for value in [*layer.W.ravel(), *layer.b]:
            assert repr(float(value)) in code
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed: pip install 'actlab[torch]'")
    script = tmp_path / "playground_model.py"
    script.write_text(code)
    subprocess.run([sys.executable, str(script)], check=True, timeout=120)


# --- manager -------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_manager_caps_sessions():
    manager = SessionManager(max_sessions=2)
    first = manager.create(small_state())
    second = manager.create(small_state())
    assert first.id != second.id
    assert len(first.id) >= 20
    with pytest.raises(SessionLimitReached, match="limit"):
        manager.create(small_state())
    assert manager.close(first.id)
    assert not manager.close(first.id)
    assert manager.create(small_state()).id not in (first.id, second.id)


def test_manager_expires_idle_sessions():
    clock = FakeClock()
    manager = SessionManager(idle_timeout=10, clock=clock)
    idle = manager.create(small_state())
    busy = manager.create(small_state())
    playing = manager.create(small_state())
    playing.playing = True
    clock.now = 8
    manager.touch(busy.id)
    clock.now = 12
    assert manager.expire_idle() == [idle.id]
    assert idle.id not in manager
    assert busy.id in manager
    playing.visible = False
    clock.now = 30
    assert sorted(manager.expire_idle()) == sorted([busy.id, playing.id])
    assert len(manager) == 0


def test_budget_slice_shrinks_with_sessions():
    budget = Budget(frame_rate=25, max_slice=0.03, share=0.75, crowd_share=0.5)
    assert budget.slice(1) == 0.03
    assert budget.slice(2) == pytest.approx(0.01)
    assert budget.slice(5) == pytest.approx(0.004)
    assert budget.slice(20) == budget.min_slice
    assert budget.slice(30) <= budget.slice(5) < budget.slice(2)
    assert budget.slice(10_000) == budget.min_slice


def test_package_all_is_complete():
    public = {
        name
        for name in vars(playground)
        if not name.startswith("_") and name not in ("annotations",)
    }
    modules = {
        name for name in public if type(getattr(playground, name)).__name__ == "module"
    }
    assert sorted(public - modules) == sorted(playground.__all__)


def test_grid_rows_start_top_left():
    grid = Grid.build(3, 2)
    assert grid.points[: grid.split].tolist()[:3] == [
        [-6.0, 6.0],
        [0.0, 6.0],
        [6.0, 6.0],
    ]
    assert grid.points[grid.split :].tolist() == [
        [-6.0, 6.0],
        [6.0, 6.0],
        [-6.0, -6.0],
        [6.0, -6.0],
    ]
    assert _frames.EXTENT == 6.0


def test_manager_stretches_frame_interval():
    manager = SessionManager(budget=Budget(frame_rate=25, crowd_share=0.5))
    sessions = [manager.create(small_state()) for _ in range(10)]
    manager.note_slice(0.004)
    assert manager.frame_interval() == pytest.approx(0.04)
    for session in sessions:
        session.playing = True
    assert manager.frame_interval() == pytest.approx(10 * 0.004 / 0.5)
    sessions[0].visible = False
    assert manager.frame_interval() == pytest.approx(9 * 0.004 / 0.5)
    for session in sessions[1:]:
        session.playing = False
    assert manager.frame_interval() == pytest.approx(0.04)


def test_slices_split_epochs_exactly():
    state = small_state(points="2000", ratio="90", batch="1", hidden="8,8,8")
    whole = Session(state)
    assert whole.run_epoch() is None
    sliced = Session(state)
    done, reason = sliced.train_for(0.0)
    assert reason is None
    assert done == 0
    assert sliced.epoch == 0
    assert sliced.steps >= 1
    while sliced.epoch == 0:
        sliced.train_for(0.001, max_epochs=1)
    assert sliced.steps == whole.steps
    np.testing.assert_allclose(
        sliced.network.parameters, whole.network.parameters, rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("seed", range(3))
def test_diverging_run_still_frames(seed):
    # Huge but finite weights after a divergence once broke the z histograms.
    query = {"dataset": "multigauss", "act": "relu", "lr": "10", "seed": str(seed)}
    session = Session(PlaygroundState.from_query(query))
    grid = playground.Grid.build(20, 8)
    session.playing = True
    reason = None
    for _ in range(40):
        _, reason = session.train_for(0.05)
        frame = session.frame(grid)
        assert frame["type"] == "frame"
        if reason is not None:
            break
    assert reason is not None
    assert "diverged" in reason
