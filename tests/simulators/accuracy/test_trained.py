import pytest
import torch
from torch.utils.data import Subset

from simulators.accuracy.trained import Trained, digits_dataset, recalibrate_batchnorm
from simulators.errors import InvalidArgumentError

# cells are identities: stem, two residual reductions and the classifier (73,306 params)
SMALL_CNN = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"
ALL_3X3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|" \
    "nor_conv_3x3~2|"  # 1,531,546 params
NOTHING = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"  # every cell outputs zeros


def test_cached_by_design_on_disk(tmp_path, monkeypatch):
    data = Subset(digits_dataset(), range(300))
    first = Trained("nb201", data, data_name="digits300", epochs=1, resolution=8,
                    cache_dir=tmp_path, progress=False)
    acc = first.evaluate(SMALL_CNN)
    assert acc.kind == "trained" and acc.metric == "digits300_heldout_acc_pct"
    assert len(list(tmp_path.glob("*.json"))) == 1
    again = Trained("nb201", data, data_name="digits300", epochs=1, resolution=8,
                    cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(again, "train", lambda design: pytest.fail("trained again"))
    assert again.evaluate(SMALL_CNN).value == acc.value


def test_batchnorm_recalibrated_to_the_average_of_the_batch_statistics():
    # Batches {1, 3} and {0, 2, 10}: means 2 and 4, unbiased variances 2 and 28; the stale
    # running statistics are gone and each becomes the two batches' average: 3 and 15.
    bn = torch.nn.BatchNorm2d(1)
    bn.running_mean.fill_(7.0)
    bn.eval()
    batches = [torch.tensor([1.0, 3.0]).reshape(2, 1, 1, 1),
               torch.tensor([0.0, 2.0, 10.0]).reshape(3, 1, 1, 1)]
    recalibrate_batchnorm(torch.nn.Sequential(bn), batches)
    assert bn.running_mean.item() == pytest.approx(3.0)
    assert bn.running_var.item() == pytest.approx(15.0)


def test_bad_budget_is_named():
    with pytest.raises(InvalidArgumentError, match="epochs"):
        Trained("nb201", epochs=0)
    with pytest.raises(InvalidArgumentError, match="holdout"):
        Trained("nb201", holdout=1.5)


@pytest.mark.slow
def test_training_beats_chance_and_ranks_capacity():
    # The default budget at digits' own 8x8 (measured with this recipe: all-3x3 97.2 %,
    # identity cells 98.3 %, both far above chance; all-none cells output zeros: chance).
    torch.set_num_threads(1)
    ev = Trained("nb201", resolution=8, progress=False)
    conv, small = ev.evaluate(ALL_3X3).value, ev.evaluate(SMALL_CNN).value
    nothing = ev.evaluate(NOTHING).value
    assert conv > 90.0 and small > 90.0  # chance is 10 %
    assert nothing < 20.0
