"""What Stripe counts in other units than hundredths (https://docs.stripe.com/currencies).
Read by the settings (which refuse a currency Marquee cannot price) and by the payment
gateway (which converts amounts); no Django imports, so the settings can use it."""

# No minor unit: amounts are sent in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
# Counted in thousandths. Marquee's prices have two decimals, so a cinema in one of
# these is refused at start-up (config/settings.py) rather than charged a tenth.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
