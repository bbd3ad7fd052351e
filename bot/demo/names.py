"""People's names for the demo: Chinese names for zh_Hans people, English names otherwise, many of them with a
Chinese surname."""

from __future__ import annotations

from typing import Final

import numpy as np

from bot.demo.arrays import Flags

_ZH_SURNAMES: Final = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    "欧阳",
    "司马",
]
# Common surnames are far more common: weight by rank, as in China's household register.
_ZH_SURNAME_WEIGHTS: Final = 1.0 / (np.arange(len(_ZH_SURNAMES)) + 3.0)
_ZH_GIVEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 志强 永刚 玉兰 丽娟 晓燕 "
    "海燕 婷婷 欣怡 梓涵 诗涵 雨桐 子轩 浩然 宇轩 梓豪 晨阳 家豪 文博 思远 明轩 博文 国强 建军 海涛 志明 建平 "
    "立新 春梅 红梅 淑珍 美玲 晓丽 佳怡 思雨 雅琪 梦瑶 鹏 辉 斌 鑫 波 宇 浩 凯 健 俊杰 玲 燕 雪 慧 颖 琳 洁 倩 "
    "欣 悦 嘉怡 一鸣 子墨 若曦 天宇 晓东 文静 丹 亮 峰 林 华 萍 红 建新"
).split()
_EN_MEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "James John Robert Michael David William Richard Joseph Thomas Charles Daniel Matthew Andrew Kevin Brian "
    "George Peter Jason Ryan Eric Jonathan Vincent Alan Tony Jack Frank Henry Oliver Samuel"
).split()
_EN_WOMEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emily Olivia Sophie Grace Chloe "
    "Emma Hannah Amy Lucy Helen Michelle Rachel Ivy Cindy Angela Irene Vivian Catherine Fiona Claire"
).split()
_EN_SURNAMES: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart "
    "Morris Murphy Cook Rogers O'Brien MacDonald Fischer Müller Dubois Rossi"
).split()
_PINYIN_SURNAMES: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo "
    "Wong Chan Cheung Lau Ho Leung Lam Ng Tang Chow"
).split()


def draw_names(rng: np.random.Generator, zh: Flags) -> list[str]:
    """Chinese names for zh_Hans people; English names otherwise, many with a Chinese surname."""
    n = zh.size
    surname = rng.choice(len(_ZH_SURNAMES), n, p=_ZH_SURNAME_WEIGHTS / _ZH_SURNAME_WEIGHTS.sum()).tolist()
    given = rng.integers(0, len(_ZH_GIVEN), n).tolist()
    man = (rng.random(n) < 0.5).tolist()
    man_name = rng.integers(0, len(_EN_MEN), n).tolist()
    woman_name = rng.integers(0, len(_EN_WOMEN), n).tolist()
    western = (rng.random(n) < 0.55).tolist()
    western_surname = rng.integers(0, len(_EN_SURNAMES), n).tolist()
    pinyin_surname = rng.integers(0, len(_PINYIN_SURNAMES), n).tolist()
    junior = (rng.random(n) < 0.04).tolist()
    names = []
    for index, chinese in enumerate(zh.tolist()):
        if chinese:
            names.append(_ZH_SURNAMES[surname[index]] + _ZH_GIVEN[given[index]])
            continue
        first = _EN_MEN[man_name[index]] if man[index] else _EN_WOMEN[woman_name[index]]
        if western[index]:
            suffix = ", Jr." if man[index] and junior[index] else ""  # after a comma, as US records write it
            names.append(f"{first} {_EN_SURNAMES[western_surname[index]]}{suffix}")
        else:
            names.append(f"{first} {_PINYIN_SURNAMES[pinyin_surname[index]]}")
    return names
