"""nn.utils.complexity: the layer table (output shapes, parameters, multiply-adds by hand
arithmetic) and its text form, the one ``chainrule summary`` prints."""

import json

from chainrule import nn
from chainrule.nn.utils.complexity import format_layer_table, layer_table


def tiny_net():
    """conv 1→4 3×3 on 10×10 (8×8 out), a block of conv 4→6 1×1 and ReLU, then fc 384→10."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.Sequential(nn.Conv2d(4, 6, 1), nn.ReLU()),
        nn.Flatten(),
        nn.Linear(6 * 8 * 8, 10),
    )


# by hand: conv1 4·1·3·3 weights + 4 biases, 4·8·8 outputs × 1·3·3 multiply-adds each;
# conv2 6·4 + 6, 6·8·8 outputs × 4; fc 384·10 + 10, 10 outputs × 384
CONV1 = (40, 4 * 64 * 9)
CONV2 = (30, 6 * 64 * 4)
FC = (3850, 10 * 384)


def test_rows_hold_shapes_parameters_and_multiply_adds_by_hand():
    table = layer_table(tiny_net(), (1, 10, 10))
    rows = [
        (r["name"], r["output_shape"], r["parameters"], r["multiply_adds"]) for r in table["rows"]
    ]
    assert rows == [
        ("0", [4, 8, 8], *CONV1),
        ("1", [6, 8, 8], *CONV2),
        ("2", [384], 0, 0),
        ("3", [10], *FC),
    ]
    assert table["totals"] == {
        "parameters": CONV1[0] + CONV2[0] + FC[0],
        "multiply_adds": CONV1[1] + CONV2[1] + FC[1],
    }
    assert json.loads(json.dumps(table)) == table


def test_a_deeper_table_puts_each_module_before_the_ones_inside_it():
    rows = layer_table(tiny_net(), (1, 10, 10), depth=2)["rows"]
    assert [(r["name"], r["depth"], r["type"]) for r in rows] == [
        ("0", 1, "Conv2d"),
        ("1", 1, "Sequential"),
        ("1.0", 2, "Conv2d"),
        ("1.1", 2, "ReLU"),
        ("2", 1, "Flatten"),
        ("3", 1, "Linear"),
    ]


def test_text_table_aligns_columns_and_separates_thousands():
    text = format_layer_table(layer_table(tiny_net(), (1, 10, 10), depth=2))
    assert text.splitlines() == [
        "layer  type        output shape  parameters  multiply-adds",
        "0      Conv2d      4×8×8                 40          2,304",
        "1      Sequential  6×8×8                 30          1,536",
        "  1.0  Conv2d      6×8×8                 30          1,536",
        "  1.1  ReLU        6×8×8                  0              0",
        "2      Flatten     384                    0              0",
        "3      Linear      10                 3,850          3,840",
        "total                                 3,920          7,680",
    ]


def test_text_table_to_a_depth_leaves_out_the_deeper_rows_but_not_the_totals():
    table = layer_table(tiny_net(), (1, 10, 10), depth=2)
    lines = format_layer_table(table, depth=1).splitlines()
    assert [line.split()[0] for line in lines] == ["layer", "0", "1", "2", "3", "total"]
    assert lines[-1].split() == ["total", "3,920", "7,680"]


def test_the_table_leaves_the_model_in_its_mode_and_without_hooks():
    model = tiny_net()
    model.train()
    layer_table(model, (1, 10, 10))
    assert model.training
    assert all(not module._forward_hooks for module in model.modules())
