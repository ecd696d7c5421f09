-- Deletes a team; its members stay agents.
-- ARGV: prefix, id.
local id = ARGV[2]
if redis.call('EXISTS', k('tm', id)) == 0 then
  return redis.error_reply('NOTFOUND no such team')
end
for _, m in ipairs(redis.call('LRANGE', k('tmm', id), 0, -1)) do
  redis.call('SREM', k('agttm', m), id)
end
redis.call('DEL', k('tm', id), k('tmm', id))
redis.call('ZREM', k('teams'), id)
return 'ok'
