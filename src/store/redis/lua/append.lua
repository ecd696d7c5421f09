-- Stores a webhook's events and queues their deliveries, all or nothing.
-- ARGV: prefix, channel, now, dedup ttl (ms), n, then per event: id, type, conversation id,
-- conversation ref, dedup key, envelope, raw, has raw ('1'), relayed message the echo is of,
-- request id ('' for none).
local ch, now, ttl, n = ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local state = redis.call('HGET', k('ch', ch), 'state')
if state ~= 'approved' and state ~= 'pending' then
  return redis.error_reply('NOTFOUND the channel takes no webhooks')
end
local held = '0'
if state == 'pending' then
  held = '1'
end
local out = {}
for i = 0, n - 1 do
  local b = 6 + i * 10
  local id, etype, conv, cref, dedup = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local envelope, raw, has_raw, echo = ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8]
  local rid = ARGV[b + 9]
  if conv ~= '' and cref ~= '' then
    redis.call('HSETNX', k('cv', conv), 'channel_id', ch)
    redis.call('HSETNX', k('cv', conv), 'provider_ref', cref)
  end
  local seq = insert_event(ch, id, etype, conv, dedup, held, now, envelope, raw, has_raw, ttl)
  if not seq then
    out[#out + 1] = 'duplicate'
  else
    if rid ~= '' then
      redis.call('HSET', k('ev', id), 'request_id', rid)
    end
    if echo ~= '' and redis.call('HEXISTS', k('msg', echo), 'echo_event_id') == 0 then
      redis.call('HSET', k('msg', echo), 'echo_event_id', id)
    end
    if held == '1' then
      out[#out + 1] = 'held'
    else
      fan_out(seq, id, etype, ch, conv, now)
      out[#out + 1] = 'stored'
    end
  end
end
return out
