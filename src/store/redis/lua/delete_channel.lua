-- Deletes a channel the caller decided may go, from the state it read (refused with RETRY when
-- the state changed meanwhile, e.g. an approval). Its stored events and history stay.
-- ARGV: prefix, channel, state read.
local ch, from = ARGV[2], ARGV[3]
local key = k('ch', ch)
local cur = redis.call('HGET', key, 'state')
if not cur then
  return redis.error_reply('NOTFOUND no such channel')
end
if cur ~= from then
  return redis.error_reply('RETRY the channel changed meanwhile')
end
local keys = redis.call('HMGET', key, 'webhook_key', 'previous_webhook_key')
redis.call('DEL', key)
redis.call('ZREM', k('channels'), ch)
for _, wk in ipairs({keys[1], keys[2]}) do
  if wk then
    redis.call('DEL', k('chkey', wk))
  end
end
return 'ok'
