"""The demo's interactions: logins, consultations, complaints, seminars and service, on the channels clients of each
band and language use, with a branch visit at onboarding and a complaint before many a lapse."""

from __future__ import annotations

from typing import Final

import numpy as np

from bot.demo.arrays import Floats, Ints, unique_rows
from bot.demo.clients import DORMANT, LAPSED, ORDINARY, TRADER, Clients
from bot.demo.timeline import MONTHS, Calendar, moments

CHANNELS: Final = ["app", "branch", "phone", "wechat", "email", "event"]
INTERACTION_KINDS: Final = ["login", "consultation", "complaint", "seminar", "service", ""]
_BRANCH, _PHONE = CHANNELS.index("branch"), CHANNELS.index("phone")
_SERVICE, _COMPLAINT = INTERACTION_KINDS.index("service"), INTERACTION_KINDS.index("complaint")
# Channel shares for ordinary zh_Hans, ordinary en, wealthier zh_Hans and wealthier en clients.
_CHANNEL_SHARES: Final = np.cumsum(
    [
        [0.74, 0.08, 0.06, 0.10, 0.01, 0.01],
        [0.72, 0.07, 0.06, 0.03, 0.11, 0.01],
        [0.45, 0.10, 0.14, 0.22, 0.02, 0.07],
        [0.45, 0.09, 0.14, 0.08, 0.17, 0.07],
    ],
    axis=1,
)
# Kind shares per channel, in the order of INTERACTION_KINDS.
_KIND_SHARES: Final = np.cumsum(
    [
        [0.88, 0.0, 0.0, 0.0, 0.12, 0.0],
        [0.0, 0.35, 0.04, 0.0, 0.61, 0.0],
        [0.0, 0.40, 0.10, 0.0, 0.50, 0.0],
        [0.0, 0.55, 0.03, 0.0, 0.30, 0.12],
        [0.0, 0.15, 0.03, 0.0, 0.40, 0.42],
        [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    ],
    axis=1,
)
# UTC hours per channel: the app and messages 08:00-23:00 Beijing, branch and phone office hours, seminars 14-16.
_CHANNEL_HOURS: Final = np.array(
    [[0, 54_000], [3_600, 30_600], [3_600, 36_000], [0, 54_000], [0, 54_000], [21_600, 28_800]], dtype=np.int64
)
_STAGE_ENGAGEMENT: Final = np.array([1.5, 1.2, 1.0, 0.6, 0.8])


def _pick_shares(rng: np.random.Generator, cumulative: Floats) -> Ints:
    """One index per row of cumulative shares."""
    drawn = (rng.random(len(cumulative))[:, None] > cumulative).sum(axis=1)
    picked: Ints = np.minimum(drawn, cumulative.shape[1] - 1).astype(np.int64)
    return picked


def draw_interactions(rng: np.random.Generator, clients: Clients, calendar: Calendar) -> tuple[Ints, Ints, Ints, Ints]:
    """Client, at, channel and kind of each interaction, sorted and unique."""
    n = clients.stage.size
    wealthier = clients.band != ORDINARY
    rate = np.where(clients.habit == TRADER, rng.lognormal(np.log(10.0), 0.4, n), rng.lognormal(np.log(1.2), 0.8, n))
    rate *= np.where(wealthier, 1.6, 1.0) * _STAGE_ENGAGEMENT[clients.stage]
    month = np.arange(MONTHS)[None, :]
    # Once quiet, a dormant client is rarely in touch and a lapsed one never.
    quiet_rate = np.where(clients.habit == DORMANT, 0.02 * rate, 0.0)
    monthly = np.where(month < clients.quiet_from[:, None], rate[:, None], quiet_rate[:, None])
    events = rng.poisson(np.where(month >= clients.first_month[:, None], monthly, 0.0))
    client, month_of = np.nonzero(events)
    count = events[client, month_of]
    client, month_of = np.repeat(client, count), np.repeat(month_of, count)
    channel = _pick_shares(rng, _CHANNEL_SHARES[2 * wealthier[client] + ~clients.zh[client]])
    kind = _pick_shares(rng, _KIND_SHARES[channel])
    day_low, day_high = calendar.month_days(month_of, clients.onboarded[client])

    # Accounts are opened at a branch; many lapses follow a complaint.
    opened = np.flatnonzero(~clients.joined_before_window)
    complained = np.flatnonzero(
        (clients.stage == LAPSED) & (clients.lapse_month - 1 >= clients.first_month) & (rng.random(n) < 0.35)
    )
    complaint_days = calendar.month_days(clients.lapse_month[complained] - 1, clients.onboarded[complained])
    client = np.concatenate([client, opened, complained])
    channel = np.concatenate(
        [channel, np.full(opened.size, _BRANCH), np.where(rng.random(complained.size) < 0.6, _PHONE, _BRANCH)]
    )
    kind = np.concatenate([kind, np.full(opened.size, _SERVICE), np.full(complained.size, _COMPLAINT)])
    day_low = np.concatenate([day_low, clients.onboarded[opened], complaint_days[0]])
    day_high = np.concatenate([day_high, clients.onboarded[opened], complaint_days[1]])
    at = moments(rng, day_low, day_high, _CHANNEL_HOURS[channel])
    rows = unique_rows([client, at, channel])
    return client[rows], at[rows], channel[rows], kind[rows]
