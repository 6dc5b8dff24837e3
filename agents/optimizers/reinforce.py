"""REINFORCE with an LSTM controller that picks one parameter choice per step, as the NAS
(Zoph & Le, ICLR 2017) and NASAIC (Yang et al., DAC 2020) controllers build a design."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from agents.args import check_int, check_real
from agents.optimizers.base import Design, Optimizer
from agents.trainers.torch_threads import single_thread
from archgym_env.space import DesignSpace

CANDIDATES = 8  # policy samples per design; the first that meets the constraints is asked


class Controller(nn.Module):
    """An LSTM cell unrolled over the parameters of `space`: step k reads the embedding of
    choice k - 1 (a learned start vector at k = 0) and its head gives the logits of
    parameter k. A parameter the earlier choices make inactive takes its canonical choice
    and adds nothing to the log-probability or entropy (any choice gives the same design)."""

    def __init__(self, space: DesignSpace, hidden: int):
        super().__init__()
        self.space, self.hidden = space, hidden
        self.start = nn.Parameter(torch.zeros(hidden))
        self.cell = nn.LSTMCell(hidden, hidden)
        self.embeddings = nn.ModuleList(nn.Embedding(int(n), hidden) for n in space.nvec)
        self.heads = nn.ModuleList(nn.Linear(hidden, int(n)) for n in space.nvec)

    def forward(self, count: int, temperature: float, uniforms: torch.Tensor | None = None,
                actions: torch.Tensor | None = None):
        """Sample `count` designs by inverting each step's distribution at `uniforms`
        (count x parameters, in [0, 1)), or score the given `actions`: choice indices
        (count x parameters, canonical), their log-probabilities and the policy entropies
        (count)."""
        x = self.start.expand(count, -1)
        state = (torch.zeros(count, self.hidden), torch.zeros(count, self.hidden))
        chosen, log_prob, entropy = [], torch.zeros(count), torch.zeros(count)
        taken = np.zeros((count, len(self.heads)), dtype=np.int64)  # choices so far
        for k, head in enumerate(self.heads):
            state = self.cell(x, state)
            dist = torch.distributions.Categorical(logits=head(state[0]) / temperature)
            if actions is None:
                cdf = dist.probs.cumsum(dim=1)
                choice = torch.searchsorted(cdf, uniforms[:, k:k + 1].contiguous()).squeeze(1)
                choice = choice.clamp(max=cdf.shape[1] - 1)  # rounding at the top end
            else:
                choice = actions[:, k]
            weight = 1.0
            if self.space.conditional:
                taken[:, k] = choice.numpy()
                choice = torch.as_tensor(self.space.canonical_index(taken)[:, k])
                weight = torch.as_tensor(self.space.active_mask(taken)[:, k],
                                         dtype=torch.float32)
            log_prob = log_prob + weight * dist.log_prob(choice)
            entropy = entropy + weight * dist.entropy()
            chosen.append(choice)
            x = self.embeddings[k](choice)
        return torch.stack(chosen, dim=1), log_prob, entropy


class Reinforce(Optimizer):
    """Policy-gradient search: each `tell` takes one Adam step on
    -(reward - baseline) * log p(design) - entropy_weight * entropy, averaged over the batch;
    the baseline is an exponential moving average of the batch mean reward. Designs are
    sampled from the policy with uniforms drawn from the agent's seeded generator; a design
    whose CANDIDATES samples all break a constraint is drawn uniformly instead.

    Args:
        hidden: LSTM and embedding width.
        learning_rate: Adam step size.
        baseline_decay: weight of the old baseline in the moving average, in [0, 1).
        entropy_weight: bonus per nat of policy entropy (keeps exploring), >= 0.
        temperature: divides the logits (> 1 flattens the policy).
    """

    name = "reinforce"

    def __init__(self, space: DesignSpace, seed: int = 0, hidden: int = 32,
                 learning_rate: float = 0.02, baseline_decay: float = 0.8,
                 entropy_weight: float = 0.01, temperature: float = 1.0):
        super().__init__(space, seed)
        self.hidden = check_int("hidden", hidden, 1)
        self.learning_rate = check_real("learning_rate", learning_rate, 0.0, 10.0,
                                        low_open=True)
        self.baseline_decay = check_real("baseline_decay", baseline_decay, 0.0, 1.0,
                                         high_open=True)
        self.entropy_weight = check_real("entropy_weight", entropy_weight, 0.0, 1e3)
        self.temperature = check_real("temperature", temperature, 0.0, 1e3, low_open=True)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.controller = Controller(space, hidden)
        self.optimizer = torch.optim.Adam(self.controller.parameters(), lr=self.learning_rate)
        self.baseline: float | None = None

    @property
    def hyperparameters(self) -> dict:
        return {"hidden": self.hidden, "learning_rate": self.learning_rate,
                "baseline_decay": self.baseline_decay, "entropy_weight": self.entropy_weight,
                "temperature": self.temperature}

    def ask(self, n: int) -> list[Design]:
        # Each design gets its own block of uniforms, so ask(k) begins like ask(n).
        uniforms = self.rng.random((n * CANDIDATES, len(self.space.nvec)))
        with torch.no_grad(), single_thread():
            indices, _, _ = self.controller(n * CANDIDATES, self.temperature,
                                            torch.as_tensor(uniforms, dtype=torch.float32))
        designs = []
        for candidates in indices.numpy().reshape(n, CANDIDATES, -1):
            valid = (d for d in map(self.space.from_index, candidates)
                     if not self.space.violations(d))
            design = next(valid, None)
            designs.append(self.space.sample(self.rng)[0] if design is None else design)
        return designs

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        reward = torch.as_tensor(np.asarray(rewards, dtype=np.float32))
        if self.baseline is None:
            self.baseline = float(reward.mean())
        actions = torch.as_tensor(np.array([self.space.to_index(d) for d in designs]))
        with single_thread():
            _, log_prob, entropy = self.controller(len(designs), self.temperature,
                                                   actions=actions)
            loss = -((reward - self.baseline) * log_prob).mean() \
                - self.entropy_weight * entropy.mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        decay = self.baseline_decay
        self.baseline = decay * self.baseline + (1.0 - decay) * float(reward.mean())
