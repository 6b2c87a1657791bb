"""The market: prices, quotes, metering and bills."""

from c2net.market.bill import Bill, BillLine, make_line
from c2net.market.pricing import CURRENCY_SYMBOLS, attempt_cost, money
from c2net.market.quote import Quote, QuotedOffer, quote

__all__ = [
    "CURRENCY_SYMBOLS",
    "Bill",
    "BillLine",
    "Quote",
    "QuotedOffer",
    "attempt_cost",
    "make_line",
    "money",
    "quote",
]
