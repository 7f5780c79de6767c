-- The hot show: every request asks for one or two random seats out of the same few
-- (hot.txt: the showtime id, then the hot seat ids), each with a random customer.
-- wrk -s bench/lua/hot_show.lua URL -- tokens.txt hot.txt <seed>
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tokens, showtime, seats = nil, nil, {}

function init(args)
  tokens = read_lines(args[1])
  local lines = read_lines(args[2])
  showtime = lines[1]
  for n = 2, #lines do table.insert(seats, lines[n]) end
  math.randomseed(tonumber(args[3] or "1"))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local first = math.random(#seats)
  local wanted = seats[first]
  if math.random(2) == 2 and first < #seats then
    wanted = wanted .. ", " .. seats[first + 1]
  end
  wrk.headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  return wrk.format("POST", nil, nil,
    string.format('{"showtime": %s, "seats": [%s]}', showtime, wanted))
end
