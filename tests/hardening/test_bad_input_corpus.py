"""The bad-input corpus: each case, and the message it must give.

Every message names the layer (or the API), the argument and the value received.
"""

import pytest
import sympy

import symcnn as sc

H = sc.symbols("H")

CASES = [
    # (id, callable, error class, pattern the message must match)
    ("zero filters", lambda: sc.Conv2D(0, 3), sc.LayerArgumentError,
     r"Conv2D: `filters` must be a positive integer.*Received: filters=0"),
    ("negative units", lambda: sc.Dense(-4), sc.LayerArgumentError, r"Dense: `units`.*Received: units=-4"),
    ("float kernel", lambda: sc.Conv2D(4, 2.5), sc.LayerArgumentError,
     r"Conv2D: `kernel_size`.*Received: kernel_size=2.5"),
    ("bool size", lambda: sc.Dense(True), sc.LayerArgumentError, r"Received: units=True"),
    ("a line break in a name", lambda: sc.Dense(3, name="a\nb"), sc.LayerArgumentError,
     r"Dense: `name` must be printable.*Received: name='a\\nb'"),
    ("a terminal escape in a model name",
     lambda: sc.Sequential([sc.Input((4,)), sc.Dense(3)], name="\u202eevil\x1b[31m"),
     sc.LayerArgumentError, r"Sequential: `name` must be printable.*Received: "
                            r"name='\\u202eevil\\x1b\[31m'"),
    ("None size", lambda: sc.Conv1D(None, 3), sc.LayerArgumentError, r"Received: filters=None"),
    ("not a name in input shape", lambda: sc.Input(("x y", 3)), sc.LayerArgumentError,
     r"`shape`.*Received: shape='x y'"),
    ("stride zero", lambda: sc.MaxPooling2D(2, strides=0), sc.LayerArgumentError,
     r"MaxPooling2D: `strides`.*Received: strides=0"),
    ("dilation zero", lambda: sc.Conv2D(4, 3, dilation_rate=0), sc.LayerArgumentError,
     r"`dilation_rate`.*Received: dilation_rate=0"),
    ("negative padding", lambda: sc.ZeroPadding2D(-1), sc.LayerArgumentError,
     r"ZeroPadding2D: `padding` must be a non-negative integer.*Received: padding=-1"),
    ("kernel larger than input",
     lambda: sc.Sequential([sc.Input((4, 4, 1)), sc.Conv2D(2, 5)]), sc.ShapeError,
     r"Conv2D layer 'conv2d' \(#0\) on input shape \(4, 4, 1\): kernel_size is larger.*"
     r"Received: kernel_size=\(5, 5\)"),
    ("pool larger than input",
     lambda: sc.Sequential([sc.Input((1, 9, 1)), sc.MaxPooling2D(2)]), sc.ShapeError,
     r"MaxPooling2D layer 'max_pooling2d' \(#0\).*Received: pool_size=\(2, 2\)"),
    ("wrong rank", lambda: sc.Sequential([sc.Input((10,)), sc.MaxPooling2D(2)]), sc.ShapeError,
     r"MaxPooling2D layer.*expects an input of rank 3.*Received: input of rank 1"),
    ("mismatched add", lambda: sc.Add()([sc.Input((3,)), sc.Input((4,))]), sc.ShapeError,
     r"Add layer.*Received: shapes \[\(3,\), \(4,\)\]"),
    ("mismatched concatenate",
     lambda: sc.Concatenate()([sc.Input((2, 3)), sc.Input((4, 3))]), sc.ShapeError,
     r"Concatenate layer.*axis 0 differs"),
    ("add of one tensor", lambda: sc.Add()([sc.Input((3,))]), sc.ShapeError,
     r"Add layer on input shape \(3,\): expects a list of at least 2 tensors. "
     r"Received: inputs=a list of 1 tensor"),
    ("unknown padding", lambda: sc.Conv2D(2, 3, padding="full"), sc.LayerArgumentError,
     r"`padding` must be one of 'valid', 'same'.*Received: padding='full'"),
    ("causal on 2D", lambda: sc.Conv2D(2, 3, padding="causal"), sc.LayerArgumentError,
     r"Received: padding='causal'"),
    ("unknown data format", lambda: sc.Conv2D(2, 3, data_format="NCHW"), sc.LayerArgumentError,
     r"`data_format` must be one of 'channels_last', 'channels_first'.*Received: data_format='NCHW'"),
    ("symbol without assumptions", lambda: sc.Dense(sympy.Symbol("n")), sc.LayerArgumentError,
     r"Symbol\(s\) n lack the integer assumption.*Received: units=n"),
    ("real symbol", lambda: sc.Input((sympy.Symbol("H", positive=True), 3)),
     sc.LayerArgumentError, r"lack the integer assumption"),
    ("negative symbol", lambda: sc.Dense(sympy.Symbol("k", integer=True, negative=True)),
     sc.LayerArgumentError, r"Received: units=k"),
    ("expression string", lambda: sc.Dense("2*n"), sc.LayerArgumentError,
     r"A string must be a symbol name.*Received: units='2\*n'"),
    ("disconnected graph",
     lambda: (lambda a, b: sc.Model(a, sc.Add()([a, b])))(sc.Input((2,)), sc.Input((2,))),
     sc.GraphError, r"not among the model's inputs \(disconnected graph\)"),
    ("model input that is not an Input",
     lambda: (lambda x: sc.Model(sc.Dense(2)(x), x))(sc.Input((2,))), sc.GraphError,
     r"every input must come straight from sc.Input"),
    ("duplicate layer names",
     lambda: sc.Sequential([sc.Input((2,)), sc.Dense(2, name="d"), sc.ReLU(name="d")]),
     sc.GraphError, r"two different layers are both named 'd'"),
    ("layer reused with incompatible inputs",
     lambda: (lambda d: sc.Sequential([sc.Input((4,)), d, d]))(sc.Dense(3)), sc.GraphError,
     r"Dense layer 'dense' \(#0\): a shared layer is reused with incompatible inputs"),
    ("group count not dividing channels",
     lambda: sc.Sequential([sc.Input((8, 6)), sc.GroupNormalization(4)]), sc.ShapeError,
     r"GroupNormalization layer.*channels \(6\) must be divisible by `groups`"),
    ("transposed output padding too large", lambda: sc.Conv2DTranspose(2, 3, strides=2, output_padding=2),
     sc.LayerArgumentError, r"`output_padding` must be smaller than the stride"),
    ("subs with a float", lambda: sc.zoo.textbook.free_width().subs(n=2.5), sc.LayerArgumentError,
     r"Received: n=2.5"),
    ("subs of an unknown symbol", lambda: sc.zoo.textbook.free_width().subs(m=2), sc.SymbolError,
     r"no symbol named 'm'.*Free symbols: n"),
    ("subs making a layer invalid",
     lambda: sc.Sequential([sc.Input((H, 3)), sc.Conv1D(2, 4)]).subs(H=3), sc.ShapeError,
     r"Conv1D layer 'conv1d' \(#0\) on input shape \(3, 3\): kernel_size is larger"),
    ("budget of an expression without the symbol", lambda: sc.solve_budget(sc.symbols("n") * 0 + 5, 10, "n"),
     sc.SolveError, r"does not depend on n"),
    ("dropout rate of one", lambda: sc.Dropout(1), sc.LayerArgumentError, r"Received: rate=1"),
    ("misspelled keyword", lambda: sc.Dense(3, use_bais=False), sc.LayerArgumentError,
     r"unexpected argument `use_bais`"),
]


@pytest.mark.parametrize("make, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_its_message(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize("name", ["S", "N", "E", "I", "O", "Q", "beta", "gamma", "lambda", "pi"])
def test_symbol_names_that_clash_with_sympy_are_plain_symbols(name):
    model = sc.Sequential([sc.Input((name, 8, 3)), sc.Conv2D(4, 3), sc.Flatten(), sc.Dense(2)])
    (symbol,) = model.free_symbols
    assert symbol.name == name and symbol.is_Symbol and symbol.is_integer and symbol.is_positive
    assert model.subs({name: 10}).params == model.params.subs(symbol, 10)


def test_a_cycle_cannot_be_expressed_because_tensors_exist_before_the_layers_that_use_them():
    x = sc.Input((4,))
    y = sc.Dense(4)(x)
    # The only way to wire a layer is to call it on tensors that already exist, so every
    # graph is acyclic by construction; the node order is a topological order.
    model = sc.Model(x, y)
    orders = [n.order for n in model.nodes]
    assert orders == sorted(orders)
