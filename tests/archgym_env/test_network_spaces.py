"""Network spaces as DesignSpaces: conditions, round trips, decoding."""

import numpy as np
import pytest

from archgym_env.network_spaces import decode_network, network_design_space
from simulators.errors import InvalidArgumentError
from simulators.networks import mbconv, nb201


def test_every_nb201_string_round_trips_through_the_space():
    space = network_design_space("nb201")
    assert space.size == 15_625
    strings = set()
    for design in space.enumerate():
        arch = nb201.to_string(design)
        assert space.validate(nb201.from_string(arch)) == design
        assert space.from_index(space.to_index(design)) == design
        strings.add(arch)
    assert strings == set(nb201.all_strings())


def test_mbconv_blocks_beyond_depth_are_inactive():
    space = network_design_space("mbconv")
    design = space.complete({"stage2.depth": 2, "stage2.block3.kernel": 7})
    active = space.active(design)
    assert not active["stage2.block3.kernel"] and not active["stage2.block4.expand"]
    assert active["stage2.block2.kernel"] and active["stage3.block4.kernel"]
    assert design["stage2.block3.kernel"] == space["stage2.block3.kernel"].default
    # 7371 = 9^2 + 9^3 + 9^4 block choices per stage, five stages, at resolution 224 only
    assert space.size == 7371 ** 5
    opened = network_design_space("mbconv", resolution=mbconv.RESOLUTIONS)
    assert opened.size == 25 * 7371 ** 5 and opened["resolution"].choices[0] == 128


def test_sampled_designs_decode_and_match_their_ofa_configs():
    space = network_design_space("mbconv")
    for design in space.sample(np.random.default_rng(1), 5):
        net = decode_network("mbconv", design)
        assert net == decode_network("mbconv", mbconv.to_ofa(design))
        depth = sum(design[f"stage{s}.depth"] for s in range(1, 6))
        assert sum(layer.name.endswith(".depthwise") for layer in net.layers) == 1 + depth


def test_space_errors_name_the_parameter():
    with pytest.raises(InvalidArgumentError, match="mbconv parameter='depth'"):
        network_design_space("mbconv", depth=(2,))
    with pytest.raises(InvalidArgumentError, match="resolution=.*128"):
        network_design_space("mbconv", resolution=(100,))
    with pytest.raises(InvalidArgumentError, match="network space='bert'"):
        network_design_space("bert")


def test_environments_take_a_network_space_design_as_workload():
    from archgym_env.registry import make

    cell = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"
    env = make("archgym/Systolic-v0", workload="nb201:" + cell).unwrapped
    assert env.workload.name == "nb201:" + cell and len(env.workload.elementwise) == 50
    record = env.evaluate_batch([env.space.default_design()])[0]
    assert record.info()["valid"] and record.info()["metrics"]["elementwise_cycles"] > 0
