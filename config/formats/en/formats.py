"""How the admin writes dates and times in English: a cinema's 24-hour clock and the
day before the month ("30 Nov 2026, 18:15"), in the cinema's time zone like every time
staff read. Django's en formats ("Nov. 30, 2026, 6:15 p.m.") otherwise; the API always
sends ISO 8601."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
