"""One Keras layer config as a symcnn layer: the class by its Keras name, the arguments
that change shapes or counts, and ``keras.ops`` calls recorded in a model (``x + 3.0``) as
:class:`~symcnn.layers.scale.Elementwise` or merge layers. What has no symcnn equivalent is
added to the :class:`~symcnn.interop._common.Problems` list.

Every argument the symcnn class takes reaches it, also those that change values only and
that it takes through ``**kwargs`` (``_INERT_ARGS`` of :mod:`symcnn.layers.base`:
``UpSampling2D``'s ``interpolation``, ``Dropout``'s ``noise_shape``): ``to_keras`` passes
them on, ``to_torch`` reads those it uses (``interpolation``). Left out: Keras' bookkeeping
(``dtype``, ``build_config``, ...), ``None`` values, and initializers, regularizers and
constraints, which act in training only (the starting weights, the loss, the updates).

>>> from symcnn.interop._common import Problems
>>> conv = _make_layer("Conv2D", {"name": "c", "filters": 8, "kernel_size": [3, 3]},
...                    "keras.layers", True, "layer 'c'", Problems("from_keras"))
>>> conv.name, conv.filters, conv.kernel_size
('c', 8, (3, 3))
"""

from __future__ import annotations

import inspect
from functools import lru_cache

from .. import layers as _layers
from ..errors import ConversionError, SymcnnError, brief, with_context
from ..layers.base import _INERT_ARGS, _INERT_SUFFIXES, snake_case
from ..layers.core import Identity
from ..layers.scale import Elementwise
from ._common import Problems
from ..safe_read import excerpt
from ..suggest import KERAS_ACTIVATIONS, did_you_mean
from .keras_nodes import _node_refs

#: Keras layers that keep their input's shape, have no weights and are identities at
#: inference (``training=False``, ``predict``): the noise and augmentation layers.
_PASSTHROUGH = (
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
    "RandomContrast", "RandomBrightness", "RandomGrayscale", "RandomHue", "RandomSaturation",
    "RandomColorJitter", "RandomColorDegeneration", "RandomSharpness", "RandomShear",
    "RandomErasing", "RandomGaussianBlur", "RandomInvert", "RandomPerspective",
    "RandomPosterization", "RandomElasticTransform", "Solarization", "AugMix", "RandAugment",
    "MixUp", "CutMix",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Masking",
)
#: Shape-keeping Keras layers without weights that still change values at inference: no
#: passthrough, refused with the reason.
_NOT_PASSTHROUGH = {
    "AutoContrast": "it rescales each image's values at inference too (not an identity)",
}
#: Config keys of Keras' own bookkeeping that no symcnn layer keeps: left out.
_IGNORED = {"dtype", "activity_regularizer", "renorm_clipping", "renorm_momentum", "sparse",
            "ragged", "optional", "batch_size", "build_config", "compile_config",
            "registered_name", "module"}
#: Config keys harmless at these values only.
_HARMLESS = {"renorm": False, "lora_rank": None, "quantization_config": None}


def _symcnn_classes() -> dict:
    return _layers.layer_classes()


@lru_cache(maxsize=None)
def _passthrough(class_name: str) -> type:
    return type(class_name, (Identity,), {
        "__module__": __name__, "keras_passthrough": True,
        "__doc__": f"Keras ``{class_name}``: keeps the shape, no weights (imported).",
    })

def _clean(value):
    if isinstance(value, list):
        return tuple(_clean(v) for v in value)
    return value


def trainable_in(cfg: dict, where: str) -> bool:
    """A config's ``trainable`` (a layer's or a model's): True when absent; anything but a
    bool is refused, as Keras refuses it ("Expected `trainable` to be a boolean"), never
    read as True."""
    value = cfg.get("trainable", True)
    if not isinstance(value, bool):
        raise ConversionError(f"from_keras: {where}: `trainable` must be true or false, as "
                              f"Keras requires. Received: trainable={brief(value)}")
    return value


def _make_layer(kind: str, cfg: dict, module, trainable: bool, where: str, problems: Problems):
    classes = _symcnn_classes()
    from_keras_module = module is None or str(module).startswith("keras")
    name = cfg.get("name")
    keep = trainable and trainable_in(cfg, where)
    if kind in classes and from_keras_module:
        cls = classes[kind]
    elif kind in _PASSTHROUGH and from_keras_module:
        return _passthrough(kind)(name=name, trainable=keep)
    else:
        why = f": {_NOT_PASSTHROUGH[kind]}" if kind in _NOT_PASSTHROUGH else ""
        problems.add(where, f"no symcnn equivalent (module {brief(module)}){why}. Received: "
                            f"class_name={brief(kind)}")
        return None
    params = inspect.signature(cls.__init__).parameters
    takes_more = any(p.kind is p.VAR_KEYWORD for p in params.values())
    kwargs: dict = {"name": name, "trainable": keep}
    for key, value in cfg.items():
        if key in ("name", "trainable"):
            continue
        if key in ("layer", "backward_layer") and isinstance(value, dict) and key in params:
            inner = _make_layer(value.get("class_name"), value.get("config") or {},
                                value.get("module"), keep, f"{where} {key}", problems)
            if inner is None:
                return None
            kwargs[key] = inner
        elif key in ("activation", "recurrent_activation") and key in params:
            name = _activation(value) if key == "activation" or isinstance(value, dict) \
                else value
            if isinstance(name, str) and name not in KERAS_ACTIVATIONS:  # collected, as
                hint = did_you_mean(name, KERAS_ACTIVATIONS)  # an unknown layer is
                problems.add(where, f"activation {name!r} has no symcnn equivalent (a "
                                    f"function of your own registered with Keras, or a name "
                                    f"Keras 3 does not have).{hint} Received: {key}={brief(name)}")
                return None
            kwargs[key] = name
        elif key.endswith(_INERT_SUFFIXES):  # training only: left out, also where the class
            continue  # names the argument (PReLU's alpha_initializer, a serialized object)
        elif key in params:
            kwargs[key] = _clean(value)
        elif key in _HARMLESS and value == _HARMLESS[key] or value is None:
            continue
        elif key in _IGNORED:
            continue
        elif key in _INERT_ARGS and takes_more:  # the class keeps it (``Layer`` takes it
            kwargs[key] = _clean(value)  # through **kwargs): it changes values, not counts
        else:
            problems.add(where, f"argument `{key}` has no symcnn equivalent. "
                                f"Received: {key}={brief(value)}")
            return None
    try:
        return cls(**kwargs)
    except SymcnnError as err:  # a value the layer refuses (units=-1): the config is wrong,
        raise with_context(err, f"from_keras: {where}") from None  # not a missing layer


def _activation(value):
    if isinstance(value, dict):  # a serialized activation object
        inner = value.get("config")
        if isinstance(inner, str):
            return inner
        return value.get("class_name", "custom")
    return value if value is not None else "linear"


def _is_tensor(value) -> bool:
    """A call argument that is a Keras tensor (``__keras_tensor__``); an array constant
    (``__numpy__``, ``x + np.ones(4)``) is not."""
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _keras_op(kind: str, cfg: dict, item: dict, trainable: bool, where: str,
              problems: Problems):
    """A ``keras.ops`` call recorded in a model (``x + 3.0`` is ``keras.src.ops.numpy``
    ``Add``): with a constant, an :class:`~symcnn.layers.scale.Elementwise` layer; between
    tensors, the merge layer of the same name."""
    nodes = item.get("inbound_nodes") or []
    constants, first = [], False
    for node in nodes:
        refs, _ = _node_refs(node)
        if len(refs) == 1 and isinstance(node, dict):  # a tensor and a constant: x + 3.0
            args = node.get("args") or []
            constants += [a for a in args if not _is_tensor(a)]
            first = first or bool(args) and not _is_tensor(args[0])  # 3.0 - x
    if not constants:  # between tensors: the merge layer (its message names the ops module)
        return _make_layer(kind, cfg, item.get("module"), trainable, where, problems)
    constant = constants[0]
    if not isinstance(constant, (int, float)) or isinstance(constant, bool):
        shown = (f"a constant of class_name={brief(constant.get('class_name'))}"
                 if isinstance(constant, dict) else excerpt(repr(constant)))
        problems.add(where, f"a keras.ops call ({kind}) with a constant that is not a number "
                            f"(it could broadcast to a new shape). Received: {shown}")
        return None
    try:
        return Elementwise(snake_case(kind), constant, constant_first=first,
                           name=cfg.get("name"), trainable=trainable)
    except SymcnnError as err:
        problems.add(where, str(err))
        return None
