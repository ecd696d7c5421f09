-- Applies a channel transition decided by the caller from the state it read (refused with
-- RETRY when the state changed meanwhile), records it, releases held events on approval, and
-- stores the channel.state_changed event. Retiring (rejection, revocation) forgets the
-- channel's webhook keys; discarding (rejection) sets the held events apart for good.
-- ARGV: prefix, channel, from, to, reason, has reason, new webhook key, at, history entry,
-- event id, envelope, now, retire keys, discard held.
local ch, from, to = ARGV[2], ARGV[3], ARGV[4]
local reason, has_reason, wk, at = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local history, event_id, envelope, now = ARGV[9], ARGV[10], ARGV[11], tonumber(ARGV[12])
local retire, discard = ARGV[13] == '1', ARGV[14] == '1'
local key = k('ch', ch)
local cur = redis.call('HGET', key, 'state')
if not cur then
  return redis.error_reply('NOTFOUND no such channel')
end
if cur ~= from then
  return redis.error_reply('RETRY the channel changed meanwhile')
end
redis.call('HSET', key, 'state', to, 'updated_ms', at)
if has_reason == '1' then
  redis.call('HSET', key, 'state_reason', reason)
else
  redis.call('HDEL', key, 'state_reason')
end
if retire then
  for _, field in ipairs({'webhook_key', 'previous_webhook_key'}) do
    local old = redis.call('HGET', key, field)
    if old then
      redis.call('DEL', k('chkey', old))
    end
  end
  redis.call('HDEL', key, 'webhook_key', 'previous_webhook_key', 'previous_key_until_ms')
end
if discard then
  for _, id in ipairs(redis.call('ZRANGE', k('held', ch), 0, -1)) do
    if redis.call('EXISTS', k('ev', id)) == 1 then
      redis.call('HSET', k('ev', id), 'held', '2')
    end
  end
  redis.call('DEL', k('held', ch))
end
if wk ~= '' and not redis.call('HGET', key, 'webhook_key') then
  redis.call('HSET', key, 'webhook_key', wk)
  redis.call('SET', k('chkey', wk), ch)
end
redis.call('RPUSH', k('chhist', ch), history)
if to == 'approved' then
  local held = redis.call('ZRANGE', k('held', ch), 0, -1, 'WITHSCORES')
  for i = 1, #held, 2 do
    local id, seq = held[i], tonumber(held[i + 1])
    local f = redis.call('HMGET', k('ev', id), 'type', 'conversation_id')
    if f[1] then
      fan_out(seq, id, f[1], ch, f[2] or '', now)
      redis.call('HSET', k('ev', id), 'held', '0')
    end
  end
  redis.call('DEL', k('held', ch))
end
local seq = insert_event(ch, event_id, 'channel.state_changed', '', '', '0', now, envelope, '', '0', 0)
if seq then
  fan_out(seq, event_id, 'channel.state_changed', ch, '', now)
end
return 'ok'
