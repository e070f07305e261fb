"""The failure-mode scenarios that ship with actlab, and their criteria.

Measured over seeds 0 to 9, every trigger fails and every right remedy
recovers on all ten seeds. The tests assert at least nine of ten for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._scenarios import Option, Scenario, Setup

DEAD_LIMIT = 0.25
SATURATED_LIMIT = 0.5


def _dead_after(measures: Mapping[str, Any]) -> bool:
    return measures["dead_after"] >= DEAD_LIMIT


def _dead_cleared(measures: Mapping[str, Any]) -> bool:
    return measures["dead_after"] < 0.1 and measures["metric"] >= 0.8


_DEAD_DIAGNOSES = (
    Option(
        "dead-relu",
        "Many ReLU units are dead",
        True,
        "Their z is at most 0 on every example, so g'(z) = 0 and their weights "
        "get no gradient again. A layer whose units are all dead passes no "
        "gradient to the layers below it either.",
    ),
    Option(
        "vanishing",
        "The gradient vanishes through many layers",
        False,
        "A vanishing gradient shrinks a little at every layer of a deep stack. "
        "Here it stops at units whose slope is exactly 0, and two hidden layers "
        "leave little depth for it to shrink through.",
    ),
    Option(
        "saturation",
        "Sigmoid units saturate",
        False,
        "ReLU does not saturate for z > 0; a dead ReLU unit is flat because "
        "z <= 0, which is a different failure.",
    ),
)

DEAD_RELU_RATE = Scenario(
    id="dead-relu-rate",
    title="A ReLU network on digits, trained with Adam at rate 0.1",
    summary="A 64-32-32-10 ReLU network learns the digits with Adam at learning rate "
    "0.1, a hundred times the usual default.",
    failure="Dead ReLUs from a high Adam learning rate",
    explanation="The large steps throw the biases and weights of many ReLU units so "
    "far that their z is below 0 for every example. Those units get no gradient "
    "again, so the training accuracy stays far below what the same network reaches at "
    "a lower rate.",
    concept="dead-relu",
    reads=("dead_after",),
    setup=Setup("digits", (64, 32, 32, 10), "softmax_ce", learning_rate=0.1),
    criterion="failed when a hidden layer has at least 25% dead units after "
    "training; recovered below 10% with training accuracy at least 0.8",
    fails=_dead_after,
    recovers=_dead_cleared,
    diagnoses=_DEAD_DIAGNOSES,
    remedies=(
        Option(
            "lower-rate",
            "Lower the learning rate to 0.001",
            True,
            "Smaller steps do not throw the biases and weights so far that a "
            "unit's z stays negative on every example.",
            {"learning_rate": 0.001},
        ),
        Option(
            "leaky-relu",
            "Use LeakyReLU in the hidden layers",
            True,
            "LeakyReLU keeps a small slope for z < 0, so no unit loses its "
            "gradient for good.",
            {"hidden": "leaky_relu"},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "A dead unit gets no gradient, so more epochs cannot revive it.",
            {"epochs": 30},
        ),
        Option(
            "wider",
            "Use 64 units in each hidden layer",
            False,
            "The network starts with no dead units, so more of them only gives "
            "the large steps more units to kill.",
            {"sizes": (64, 64, 64, 10)},
        ),
    ),
)

DEAD_RELU_BIAS = Scenario(
    id="dead-relu-bias",
    title="A ReLU network with negative starting biases and small weights",
    summary="A 30-32-32-1 ReLU network on breast_cancer starts with hidden biases of "
    "-0.5 and weights drawn at a tenth of the He scale.",
    failure="Dead ReLUs from a negative initial bias",
    explanation="Small weights cannot outweigh a bias of -0.5, so about half the "
    "units of the first hidden layer and every unit of the second start with z < 0 "
    "on every example. The dead second layer passes no gradient down, so no weight "
    "below the output learns, and the network predicts the same class for every "
    "example.",
    concept="dead-relu",
    reads=("dead_after",),
    setup=Setup("breast_cancer", (30, 32, 32, 1), "bce", bias=-0.5, weight_scale=0.1),
    criterion="failed when a hidden layer has at least 25% dead units after "
    "training; recovered below 10% with training accuracy at least 0.8",
    fails=_dead_after,
    recovers=_dead_cleared,
    diagnoses=_DEAD_DIAGNOSES,
    remedies=(
        Option(
            "positive-bias",
            "Start the hidden biases at 0.1",
            True,
            "A small positive bias makes z > 0 for about half the examples, so "
            "every unit starts with a gradient.",
            {"bias": 0.1},
        ),
        Option(
            "he-init",
            "Draw the weights at the full He scale",
            True,
            "Weights of variance 2 / n_in spread z so widely that the bias of "
            "-0.5 no longer keeps it below 0 on every example.",
            {"weight_scale": 1.0},
        ),
        Option(
            "leaky-relu",
            "Use LeakyReLU in the hidden layers",
            True,
            "LeakyReLU's slope of 0.01 for z < 0 still passes a gradient, so "
            "the biases and weights can move out of the negative region.",
            {"hidden": "leaky_relu"},
        ),
        Option(
            "lower-rate",
            "Lower the learning rate to 0.0001",
            False,
            "The units are dead before the first step, and a smaller step "
            "does not give them a gradient.",
            {"learning_rate": 0.0001},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "A unit with z <= 0 on every example gets a zero gradient in every "
            "epoch, however many there are.",
            {"epochs": 30},
        ),
    ),
)

SATURATED_SIGMOID = Scenario(
    id="saturated-sigmoid",
    title="A sigmoid network on raw, unscaled features",
    summary="A 30-16-1 network with a sigmoid hidden layer learns breast_cancer from "
    "its raw features, some of which reach the thousands.",
    failure="Saturated sigmoid units from unscaled inputs",
    explanation="Features in the thousands make |z| huge, so each sigmoid unit sits "
    "on one of its flat tails for almost every example and acts as an on/off switch. "
    "Its gradient comes from the few examples near its threshold, multiplied by "
    "inputs in the thousands, so the gradient norm can look normal while the layer "
    "learns little.",
    concept="saturation",
    reads=("saturated_after",),
    setup=Setup(
        "breast_cancer", (30, 16, 1), "bce", hidden="sigmoid", standardise=False
    ),
    criterion="failed when at least half the hidden units are saturated after "
    "training (g'(z) below 1% of its maximum on most examples)",
    fails=lambda measures: measures["saturated_after"] >= SATURATED_LIMIT,
    diagnoses=(
        Option(
            "saturation",
            "The sigmoid units saturate",
            True,
            "With |z| far from 0, sigmoid'(z) is close to 0 on almost every "
            "example, so the hidden units act as on/off switches that training "
            "can hardly shape.",
        ),
        Option(
            "dead-relu",
            "The units are dead ReLUs",
            False,
            "The hidden layer is sigmoid, which has no region where g' is "
            "exactly 0; it is flat, not dead.",
        ),
        Option(
            "too-few-epochs",
            "Training is too short",
            False,
            "Most hidden units sit on a flat tail for almost every example, "
            "and more epochs do not bring z back to the steep middle.",
        ),
    ),
    remedies=(
        Option(
            "standardise",
            "Standardise the inputs",
            True,
            "Inputs of mean 0 and standard deviation 1 keep z near the "
            "sigmoid's steep middle.",
            {"standardise": True},
        ),
        Option(
            "higher-rate",
            "Raise the learning rate to 0.1",
            False,
            "A larger step does not make a near-zero slope useful, and it "
            "saturates the units further.",
            {"learning_rate": 0.1},
        ),
        Option(
            "wider",
            "Use 64 hidden units",
            False,
            "Every extra unit sees the same huge inputs and saturates too.",
            {"sizes": (30, 64, 1)},
        ),
    ),
)

LARGE_INIT_SIGMOID = Scenario(
    id="large-init-sigmoid",
    title="A sigmoid network started with large weights",
    summary="A 64-32-10 network with a sigmoid hidden layer learns the digits from "
    "weights drawn at 20 times the Xavier scale.",
    failure="Saturated sigmoid units from large initial weights",
    explanation="Weights 20 times too large push z far from 0, where the sigmoid is "
    "flat, so the hidden units start saturated and learn almost nothing.",
    concept="saturation",
    reads=("saturated_after",),
    setup=Setup(
        "digits",
        (64, 32, 10),
        "softmax_ce",
        hidden="sigmoid",
        weight_scale=20.0,
        epochs=5,
    ),
    criterion="failed when at least half the hidden units are saturated after "
    "training (g'(z) below 1% of its maximum on most examples); recovered when "
    "fewer are and the training accuracy is at least 0.8",
    fails=lambda measures: measures["saturated_after"] >= SATURATED_LIMIT,
    recovers=lambda measures: (
        measures["saturated_after"] < SATURATED_LIMIT and measures["metric"] >= 0.8
    ),
    diagnoses=SATURATED_SIGMOID.diagnoses,
    remedies=(
        Option(
            "xavier",
            "Draw the weights at the Xavier scale",
            True,
            "Xavier initialisation keeps the variance of z near 1, where the "
            "sigmoid is steep.",
            {"weight_scale": 1.0},
        ),
        Option(
            "wider",
            "Use 64 hidden units",
            False,
            "Every extra unit starts with the same oversized weights and "
            "saturates too.",
            {"sizes": (64, 64, 10)},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "With g'(z) near 0 each epoch moves the hidden weights little.",
            {"epochs": 10},
        ),
    ),
)

VANISHING = Scenario(
    id="vanishing-sigmoid",
    title="A deep stack of sigmoid layers",
    summary="Eight sigmoid layers of 16 units learn the digits for 3 epochs. Compare "
    "the gradient norms of the first and the last layers.",
    failure="Vanishing gradients through a deep sigmoid stack",
    explanation="On its way back, the gradient is multiplied by sigmoid'(z), at most "
    "0.25, once per layer, so the first layers get thousands of times less gradient "
    "than the last and barely learn.",
    concept="vanishing-gradient",
    reads=("grad_ratio_before",),
    setup=Setup(
        "digits", (64, *[16] * 8, 10), "softmax_ce", hidden="sigmoid", epochs=3
    ),
    criterion="failed when the first layer's gradient norm is below 0.001 of "
    "the last layer's at initialisation; recovered when it is at least 0.1 of "
    "it and the training accuracy after 3 epochs is at least 0.25",
    fails=lambda measures: measures["grad_ratio_before"] < 1e-3,
    recovers=lambda measures: (
        measures["grad_ratio_before"] >= 0.1 and measures["metric"] >= 0.25
    ),
    diagnoses=(
        Option(
            "vanishing",
            "The gradient vanishes on its way back",
            True,
            "sigmoid' is at most 0.25, and the product of eight such factors "
            "shrinks the gradient by orders of magnitude.",
        ),
        Option(
            "exploding",
            "The gradient explodes",
            False,
            "The first layer's gradient is far smaller than the last's, not larger.",
        ),
        Option(
            "dead-relu",
            "Units are dead",
            False,
            "Sigmoid units cannot die: their slope is small but never 0.",
        ),
    ),
    remedies=(
        Option(
            "relu-he",
            "Use ReLU with He initialisation",
            True,
            "ReLU's slope is 1 for active units and He initialisation keeps "
            "the signal's scale, so the gradient reaches the first layer.",
            {"hidden": "relu", "initialiser": "he"},
        ),
        Option(
            "higher-rate",
            "Raise the learning rate",
            False,
            "One rate for all layers cannot make up a factor of over 10,000 "
            "between them, and it destabilises the last layers.",
            {"learning_rate": 0.05},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "The first layers' gradient stays thousands of times smaller than "
            "the last's, so extra epochs barely move them.",
            {"epochs": 6},
        ),
    ),
)

EXPLODING = Scenario(
    id="exploding-relu",
    title="A deep ReLU stack started with large weights",
    summary="Six ReLU layers of 32 units learn the digits from weights drawn at 3 "
    "times the He scale. Compare the spread of the activations of the first and the "
    "last hidden layer at the start.",
    failure="Exploding activations in a deep ReLU stack",
    explanation="Each layer multiplies the scale of the activations by about 3, so "
    "six layers grow it by hundreds, and the loss and the gradients start huge.",
    concept="initialisation",
    reads=("activation_growth",),
    setup=Setup(
        "digits",
        (64, *[32] * 6, 10),
        "softmax_ce",
        initialiser="he",
        weight_scale=3.0,
        epochs=1,
    ),
    criterion="failed when the last hidden layer's activation standard "
    "deviation is over 100 times the first's at initialisation; recovered "
    "when it is under 10 times",
    fails=lambda measures: measures["activation_growth"] > 100,
    recovers=lambda measures: measures["activation_growth"] < 10,
    diagnoses=(
        Option(
            "exploding",
            "The activations explode layer by layer",
            True,
            "Each layer multiplies the activations' scale by about 3, so six "
            "layers grow it by hundreds.",
        ),
        Option(
            "vanishing",
            "The gradient vanishes",
            False,
            "The activations grow, and the gradients grow with them.",
        ),
        Option(
            "saturation",
            "Units saturate",
            False,
            "ReLU does not saturate for large z; it passes the growth on.",
        ),
    ),
    remedies=(
        Option(
            "he",
            "Draw the weights at the He scale",
            True,
            "He initialisation (variance 2 / n_in) keeps the activations' "
            "scale about constant from layer to layer for ReLU.",
            {"weight_scale": 1.0},
        ),
        Option(
            "lower-rate",
            "Lower the learning rate",
            False,
            "The growth is there at initialisation, before any step.",
            {"learning_rate": 0.0001},
        ),
        Option(
            "positive-bias",
            "Start the biases at 0.1",
            False,
            "A bias shifts z but does not change the weights' scale.",
            {"bias": 0.1},
        ),
    ),
)

SIGMOID_REGRESSION = Scenario(
    id="sigmoid-regression",
    title="A sigmoid output for disease progression",
    summary="A 10-16-1 network fits the standardised disease-progression target of "
    "diabetes, with a sigmoid on its output unit.",
    failure="A sigmoid output on an unbounded regression target",
    explanation="The standardised target is negative for about half the patients, but "
    "a sigmoid output stays in (0, 1), so those targets cannot be reached and R² is "
    "capped.",
    concept="output-activation",
    reads=(),
    setup=Setup("diabetes", (10, 16, 1), "mse", output="sigmoid", epochs=30),
    criterion="failed when the training R² is below 0.35; recovered at 0.4 or above",
    fails=lambda measures: measures["metric"] < 0.35,
    recovers=lambda measures: measures["metric"] >= 0.4,
    diagnoses=(
        Option(
            "output-range",
            "The output's range cannot reach the target",
            True,
            "Sigmoid outputs lie in (0, 1), so every negative target is missed "
            "by at least its size, which caps R².",
        ),
        Option(
            "underfitting",
            "The network is too small",
            False,
            "The cap comes from the output's range, which no number of hidden "
            "units changes.",
        ),
        Option(
            "dead-relu",
            "The hidden units are dead",
            False,
            "The hidden layer trains normally; the limit is in the output.",
        ),
    ),
    remedies=(
        Option(
            "linear-output",
            "Use a linear output",
            True,
            "A linear output covers every real number, as a regression target can.",
            {"output": "linear"},
        ),
        Option(
            "wider",
            "Use 64 hidden units",
            False,
            "The output is still in (0, 1), so the cap stays.",
            {"sizes": (10, 64, 1)},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "Training longer approaches the cap but cannot pass it.",
            {"epochs": 60},
        ),
    ),
)

LINEAR_PROBABILITY = Scenario(
    id="linear-probability",
    title="A linear output for a yes/no diagnosis",
    summary="A 30-16-1 network fits breast_cancer's 0/1 labels with a linear output "
    "and squared error, and its outputs are read as probabilities.",
    failure="A linear output for probabilities",
    explanation="A linear output trained with squared error is not bounded, so some "
    "outputs land below 0 or above 1, values that no probability can take.",
    concept="output-activation",
    reads=("outside_unit_interval",),
    setup=Setup("breast_cancer", (30, 16, 1), "mse"),
    criterion="failed when over 5% of the training outputs lie outside [0, 1]; "
    "recovered when none do",
    fails=lambda measures: measures["outside_unit_interval"] > 0.05,
    recovers=lambda measures: measures["outside_unit_interval"] == 0,
    diagnoses=(
        Option(
            "output-range",
            "The output's range is wider than a probability's",
            True,
            "A linear output covers every real number, and squared error does "
            "not stop it from passing 0 or 1.",
        ),
        Option(
            "overfitting",
            "The network overfits",
            False,
            "Outputs outside [0, 1] come from the output's range, on the "
            "training set itself.",
        ),
        Option(
            "dead-relu",
            "The hidden units are dead",
            False,
            "The hidden layer trains normally; the problem is the output.",
        ),
    ),
    remedies=(
        Option(
            "sigmoid-bce",
            "Use a sigmoid output with binary cross-entropy",
            True,
            "The sigmoid of the logit lies in (0, 1), and cross-entropy is the "
            "loss that pairs with it.",
            {"loss": "bce"},
        ),
        Option(
            "relu-output",
            "Use a ReLU output",
            False,
            "ReLU removes negative outputs but leaves those above 1.",
            {"output": "relu"},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "Squared error on a linear output does not bound it, however long "
            "it trains.",
            {"epochs": 30},
        ),
    ),
)

NARROW_DEEP = Scenario(
    id="narrow-deep-relu",
    title="A deep stack of two-unit ReLU layers",
    summary="Twelve ReLU layers of 2 units each, with He initialisation, learn the "
    "circle set.",
    failure="A narrow, deep ReLU network dead at initialisation",
    explanation="A layer of 2 ReLU units is dead when both units have z <= 0 for "
    "every input, and over twelve layers that almost always happens somewhere. No "
    "gradient passes a dead layer, so nothing below it learns.",
    concept="dead-relu",
    reads=("dead_before",),
    setup=Setup(
        "circle",
        (2, *[2] * 12, 1),
        "bce",
        initialiser="he",
        learning_rate=0.01,
        epochs=5,
    ),
    criterion="failed when some hidden layer is entirely dead at "
    "initialisation; recovered when none is and the training accuracy is at "
    "least 0.8",
    fails=lambda measures: measures["dead_before"] == 1.0,
    recovers=lambda measures: (
        measures["dead_before"] < 1.0 and measures["metric"] >= 0.8
    ),
    diagnoses=(
        Option(
            "dead-layer",
            "A whole layer is dead from the start",
            True,
            "With 2 units a layer dies when both units get z <= 0 everywhere, "
            "and over twelve layers that almost always happens once.",
        ),
        Option(
            "vanishing",
            "The gradient shrinks slowly through the depth",
            False,
            "It does not shrink but stops: a dead layer passes exactly zero gradient.",
        ),
        Option(
            "bad-data",
            "The data cannot be separated",
            False,
            "The circle set is separable by a small network, as the remedy shows.",
        ),
    ),
    remedies=(
        Option(
            "wider-shallower",
            "Use two hidden layers of 16 units",
            True,
            "A wide layer is dead only when all its units are, which is very "
            "unlikely, and fewer layers give fewer chances to die.",
            {"sizes": (2, 16, 16, 1)},
        ),
        Option(
            "lower-rate",
            "Lower the learning rate",
            False,
            "The network is dead before training, so the rate does not matter.",
            {"learning_rate": 0.001},
        ),
        Option(
            "more-epochs",
            "Train for more epochs",
            False,
            "A dead layer passes no gradient, so no number of epochs helps.",
            {"epochs": 20},
        ),
    ),
)

SCENARIOS: dict[str, Scenario] = {
    scenario.id: scenario
    for scenario in (
        DEAD_RELU_RATE,
        DEAD_RELU_BIAS,
        SATURATED_SIGMOID,
        LARGE_INIT_SIGMOID,
        VANISHING,
        EXPLODING,
        SIGMOID_REGRESSION,
        LINEAR_PROBABILITY,
        NARROW_DEEP,
    )
}


def get_scenario(scenario_id: str) -> Scenario:
    """Return the scenario ``scenario_id``, or raise ``KeyError`` listing them."""
    if scenario_id not in SCENARIOS:
        choices = ", ".join(SCENARIOS)
        raise KeyError(f"unknown scenario {scenario_id!r}: choose one of {choices}")
    return SCENARIOS[scenario_id]
