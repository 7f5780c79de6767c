-- Book distinct seats: request k books line (offset + k) of bookings.txt, one seat, with
-- customer token k. The lines run showtime by showtime, so every request asks for a
-- free seat and 300 consecutive requests hit the same showtime.
-- wrk -s bench/lua/book_distinct.lua URL -- tokens.txt bookings.txt <offset>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tokens, pairs_, k = nil, nil, 0

function init(args)
  tokens = read_lines(args[1])
  pairs_ = read_lines(args[2])
  k = tonumber(args[3] or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  k = k + 1
  local showtime, seat = pairs_[((k - 1) % #pairs_) + 1]:match("(%d+) (%d+)")
  wrk.headers["Authorization"] = "Bearer " .. tokens[((k - 1) % #tokens) + 1]
  return wrk.format("POST", nil, nil,
    string.format('{"showtime": %s, "seats": [%s]}', showtime, seat))
end
