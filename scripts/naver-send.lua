-- wrk script: Naver TalkTalk `send` webhooks from 1,000 users, each body distinct.
-- OG_BODY_BYTES pads each body to about that size (0: no padding);
-- OG_REQUESTS_PER_THREAD stops each wrk thread after that many answers (0: run for -d).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"
wrk.headers["User-Agent"] = "navertalk/v1"
local size = tonumber(os.getenv("OG_BODY_BYTES") or "0") or 0
local limit = tonumber(os.getenv("OG_REQUESTS_PER_THREAD") or "0") or 0
local pad = ""
if size > 160 then pad = " " .. string.rep("x", size - 160) end
local n = 0
local answered = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"event":"send","user":"bench-user-%03d","textContent":{"text":"hello %09d%s","inputType":"typing"},"options":{"mobile":false}}',
    n % 1000, n, pad)
  return wrk.format(nil, nil, nil, body)
end
response = function(status, headers, body)
  answered = answered + 1
  if limit > 0 and answered >= limit then
    wrk.thread:stop()
  end
end
