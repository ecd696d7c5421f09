-- Writes an agent: created when the expected version is empty (refused if it exists), else
-- replaced only if its version is still the one read (RETRY otherwise, so the caller reads
-- again and re-applies its patch). The external id index follows; an external id another agent
-- has is refused with TAKEN.
-- ARGV: prefix, id, expected version (or ''), record (JSON), external id (or ''), order.
local id, expected, record, ext, order = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local key = k('agt', id)
local version, refused = version_guard(key, expected, 'agent')
if refused then
  return refused
end
if ext ~= '' then
  local owner = redis.call('GET', k('agtext', ext))
  if owner and owner ~= id then
    return redis.error_reply('TAKEN external_id')
  end
end
local old = redis.call('HGET', key, 'ext')
if old and old ~= ext then
  redis.call('DEL', k('agtext', old))
end
if ext ~= '' then
  redis.call('SET', k('agtext', ext), id)
  redis.call('HSET', key, 'ext', ext)
else
  redis.call('HDEL', key, 'ext')
end
redis.call('HSET', key, 'record', record, 'version', tostring((tonumber(version) or 0) + 1))
if expected == '' then
  redis.call('ZADD', k('agents'), order, id)
end
return 'ok'
