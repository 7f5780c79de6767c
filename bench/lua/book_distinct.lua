-- Book distinct seats: request k books line (offset + k) of the lines file, one seat,
-- each line being "<showtime id> <seat id> <token index>". Every request asks for a free
-- seat; the file's order decides whether consecutive requests share a showtime
-- (bookings.txt) or never do (spread.txt).
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
  local showtime, seat, tok = pairs_[((k - 1) % #pairs_) + 1]:match("(%d+) (%d+) (%d+)")
  wrk.headers["Authorization"] = "Bearer " .. tokens[(tonumber(tok) % #tokens) + 1]
  return wrk.format("POST", nil, nil,
    string.format('{"showtime": %s, "seats": [%s]}', showtime, seat))
end
