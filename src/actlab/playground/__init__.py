"""The training playground's server side: state, sessions, frames and export.

No web imports here: ``actlab.web.routers.playground`` puts this package on
the WebSocket ``/ws/playground``. The protocol is the agreed one, with the
additions and exact forms below.

State
-----
``PlaygroundState.from_query`` takes the URL keys ``dataset noise ratio batch
seed points features hidden act output loss opt lr reg rate init edits`` as
strings (a URL) or JSON values, and raises ``InvalidField`` (``field`` and a
message with the valid values). ``to_query`` returns strings; the round trip
is the identity. Values whose order does not matter are normalised.
``features`` comes back in the order x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2,
``act`` is one name when all layers share it, aliases become registry names,
and ``edits`` are sorted.
``output=auto, loss=auto`` means sigmoid + bce on binary sets, softmax +
softmax_ce on blobs, linear + mse on regression sets. ``loss=mse`` on a binary
set uses labels -1 and 1 (0 and 1 for an output bounded below by 0), and its
accuracy thresholds at their midpoint. ``output=auto`` with ``loss=mse`` on a
binary set is tanh, as in TensorFlow Playground. An output whose range cannot
reach the targets is rejected (field ``output``). ``dataset=csv`` needs an
``upload_csv`` on the same socket first; its two features are scaled into
[-5.5, 5.5].

HTTP
----
``GET /api/playground/state?<query>`` returns ``{"state": {...}, "query":
"..."}`` with the normalised state, or 422 ``{detail, field, errors}``.
``GET /api/playground/options`` lists the choices of every control (from the
registries) and the defaults.

Client to server
----------------
As agreed: ``configure`` (``state`` object), ``play``, ``pause``, ``step``,
``reset``, ``set`` (``lr``, ``reg``, ``rate``, ``batch``: any of them),
``edit_weight`` (``layer``, ``from``, ``to``, ``value``), ``regenerate``,
``visibility`` (``visible``), ``export`` (``format`` json or pytorch),
``upload_csv`` (``text``, ``target``), ``ping``. ``step`` also takes an
optional ``epochs`` (1 to 1000, default 1). A socket gets a default session
(the default state) as soon as it opens, so ``configure`` is optional.

``play``, ``pause``, ``reset`` and ``configure`` take an optional
``control``, a counter that the page raises with each of them. Every frame
built after the server has handled one (applied or rejected) echoes it, so
the page can tell the frames that show a state it has already left. ``ack``
(``frame``, the ``seq`` of the newest frame received) acknowledges frames.
Once a socket has sent one ``ack``, the server keeps at most 2 of its frames
unacknowledged and trains no further slice until the page catches up, so a
slow page cannot fall behind the training. A socket that never sends ``ack``
gets frames at the frame rate, as before.

Server to client
----------------
``ready``: ``session``, ``state`` (query strings), ``query`` (URL-encoded),
``network`` (``sizes``, ``features``, ``activations`` per layer, ``output``,
``loss``, ``labels``, ``task``). Sent on open, after ``configure``,
``reset``, ``upload_csv`` and every ``set`` or ``edit_weight`` (so the page can
update its URL). A frame follows it after configure, reset, upload_csv and
edit_weight.

``data``: ``task``, ``classes``, ``train`` and ``test`` as ``[x1, x2, y]``
rows (y the class index or the value), after open, configure, regenerate and
upload.

``frame`` as agreed, plus: ``seq`` (the frame's number on this socket, from
1); ``control`` (the last ``control`` received, 0 before any); ``full`` (the
history is whole, not the new points only); ``history.grad_norms`` (per
epoch, a list per weight layer);
``grid.unit_size`` (the side of the unit maps; ``grid.size`` is the output
map's side); ``grid.features`` (a map per input feature, at ``unit_size``).
Maps are row-major from the top row (x2 = 6) and the left column (x1 = -6).
``grid.output`` holds the probability of class 1 for bce, the class index
for softmax, and the output value otherwise. ``stats.units``, ``dead``,
``saturated``, ``z_hist`` and ``grad_norms`` have one entry per weight layer,
output layer included. ``z_hist[l].flat`` intervals use ``null`` for an
unbounded end (relu: ``[[null, 0.0]]``), because JSON has no infinity. Any
non-finite number in a frame is sent as ``null``.

A training slice may end inside an epoch. ``epoch`` and the history count
complete epochs, while ``weights``, the maps and the statistics show the
network as it is at the end of the slice.

``paused``: ``reason`` (the epoch, the loss, the learning rate and the
fix). The weights go back to those at the start of the diverging epoch.

``error``: ``field`` (the message key or state key at fault, ``type`` for an
unknown message, ``message`` for text that is not a JSON object, ``session``
for the session cap) and ``message``. The message is plain English for the
learner, names values by what they are rather than by their message keys, and
does not start with the field, so the page prefixes its own label for the
control. The socket stays open, except at the session cap, where the server
sends the error and closes with code 1013.

``export`` and ``pong`` as agreed. The server closes a socket whose page has
been hidden or paused with no message for the idle timeout (code 1000,
reason ``idle``). Its session and weights are gone, so a page that reconnects
sends ``configure`` with its state and starts again at epoch 0.
"""

from ._export import FORMATS, export, model_dict, pytorch_code, torch_activation
from ._features import FEATURE_LABELS, FEATURES, transform
from ._frames import Grid, flat_intervals, grid_maps, layer_stats
from ._manager import Budget, SessionLimitReached, SessionManager
from ._session import Head, Session, tfp_initialise
from ._state import (
    DATASETS,
    LEARNING_RATES,
    REGULARISATION_RATES,
    InvalidField,
    PlaygroundState,
    hidden_activation_names,
    initialiser_choices,
    output_activation_names,
    resolve_head,
)

__all__ = [
    "DATASETS",
    "FEATURES",
    "FEATURE_LABELS",
    "FORMATS",
    "LEARNING_RATES",
    "REGULARISATION_RATES",
    "Budget",
    "Grid",
    "Head",
    "InvalidField",
    "PlaygroundState",
    "Session",
    "SessionLimitReached",
    "SessionManager",
    "export",
    "flat_intervals",
    "grid_maps",
    "hidden_activation_names",
    "initialiser_choices",
    "layer_stats",
    "model_dict",
    "output_activation_names",
    "pytorch_code",
    "resolve_head",
    "tfp_initialise",
    "torch_activation",
    "transform",
]
