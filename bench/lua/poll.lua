-- Poll the URL given to wrk as a seat-map client does: send back the last ETag as
-- If-None-Match (the answers are 304 while nothing changes).
-- wrk -s bench/lua/poll.lua URL
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local count = response
local etag = nil

function request()
  if etag then wrk.headers["If-None-Match"] = etag end
  return wrk.format("GET")
end

function response(status, headers, body)
  count(status, headers, body)
  etag = headers["ETag"] or headers["Etag"] or etag
end
