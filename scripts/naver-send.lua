-- wrk script: Naver TalkTalk `send` webhooks from 1,000 users, each body distinct.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"
wrk.headers["User-Agent"] = "navertalk/v1"
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"event":"send","user":"bench-user-%d","textContent":{"text":"hello %d","inputType":"typing"},"options":{"mobile":false}}',
    n % 1000, n)
  return wrk.format(nil, nil, nil, body)
end
