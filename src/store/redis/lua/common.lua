-- Shared by every script (prepended to each). ARGV[1] is the key prefix; every key is built
-- from it, so one Redis can hold several installations (and tests) side by side.
-- Empty strings stand for "none" in arguments and are never stored as field values.
local P = ARGV[1]

local function k(...)
  return P .. ':' .. table.concat({...}, ':')
end

local function dest_of(lk)
  return string.match(lk, '^([^|]*)|')
end

-- Each destination's lanes by due time (a leased lane's score is when its lease ends), in
-- `ldue:<destination>`: a claim reads each destination's on their own, so however many lanes
-- a destination without room has due, they never hide another's. `flag` is ZADD's (NX, XX, LT).
local function lane_due(lk, at, flag)
  if flag then
    redis.call('ZADD', k('ldue', dest_of(lk)), flag, at, lk)
  else
    redis.call('ZADD', k('ldue', dest_of(lk)), at, lk)
  end
end

local function lane_gone(lk)
  redis.call('ZREM', k('ldue', dest_of(lk)), lk)
end

-- Whether a destination's filters take an event (mirrors domain::destination::matches): an
-- event awaiting enrichment has no type yet, and every type filter takes it.
local function wants(types_json, channels_json, event_type, channel_id)
  local types = cjson.decode(types_json or '[]')
  local chans = cjson.decode(channels_json or '[]')
  local type_ok = event_type == 'enrichment.pending'
  for _, f in ipairs(types) do
    if type_ok then
      break
    end
    if f == '*' or f == event_type then
      type_ok = true
      break
    end
    if string.sub(f, -2) == '.*' then
      local family = string.sub(f, 1, -3)
      if string.sub(event_type, 1, #family + 1) == family .. '.' then
        type_ok = true
        break
      end
    end
  end
  if not type_ok then
    return false
  end
  if #chans == 0 then
    return true
  end
  if channel_id == nil or channel_id == '' then
    return false
  end
  for _, c in ipairs(chans) do
    if c == channel_id then
      return true
    end
  end
  return false
end

-- The lane of an event: its conversation, or its channel for events outside conversations.
local function lane_of(ch, conv)
  if conv ~= nil and conv ~= '' then
    return conv
  end
  if ch ~= nil and ch ~= '' then
    return 'chn:' .. ch
  end
  return 'global'
end

-- Time-ordered delivery ids: the millisecond, then a counter shared by every replica.
local function new_delivery_id(now)
  local c = redis.call('INCR', k('dlseq'))
  return string.format('dlv_%012x%020x', now, c)
end

local function queue_delivery(dest, seq, event_id, event_type, conv, lane, now)
  local id = new_delivery_id(now)
  local key = k('dl', id)
  redis.call('HSET', key, 'id', id, 'event_seq', seq, 'event_id', event_id,
    'event_type', event_type, 'destination_id', dest, 'lane', lane, 'status', 'pending',
    'queued', '1', 'attempts', 0, 'next_attempt_ms', now, 'created_ms', now, 'updated_ms', now)
  if conv ~= '' then
    redis.call('HSET', key, 'conversation_id', conv)
  end
  redis.call('ZADD', k('dls'), 0, id)
  redis.call('ZADD', k('dls', 'dst', dest), 0, id)
  redis.call('SADD', k('dls', 'queued'), id)
  local lk = dest .. '|' .. lane
  redis.call('ZADD', k('lq', lk), seq, id)
  redis.call('SADD', k('dlanes', dest), lk)
  lane_due(lk, now, 'NX')
  return id
end

-- Queues an event for every enabled destination that wants it.
local function fan_out(seq, event_id, event_type, ch, conv, now)
  local lane = lane_of(ch, conv)
  for _, d in ipairs(redis.call('ZRANGE', k('dsts'), 0, -1)) do
    local f = redis.call('HMGET', k('dst', d), 'enabled', 'event_types', 'channels')
    if f[1] == '1' and wants(f[2], f[3], event_type, ch) then
      queue_delivery(d, seq, event_id, event_type, conv, lane, now)
    end
  end
end

-- Stores one event; nil when its id or its provider id (within the de-duplication window)
-- was seen before.
local function insert_event(ch, id, etype, conv, dedup, held, now, envelope, raw, has_raw, ttl)
  if redis.call('EXISTS', k('ev', id)) == 1 then
    return nil
  end
  if dedup ~= '' and ch ~= '' then
    local ok = redis.call('SET', k('dedup', ch, dedup), id, 'NX', 'PX', ttl)
    if not ok then
      return nil
    end
  end
  local seq = redis.call('INCR', k('seq'))
  local key = k('ev', id)
  redis.call('HSET', key, 'seq', seq, 'id', id, 'type', etype, 'held', held,
    'received_ms', now, 'envelope', envelope)
  if ch ~= '' then
    redis.call('HSET', key, 'channel_id', ch)
    redis.call('ZADD', k('events', 'ch', ch), seq, id)
  end
  if conv ~= '' then
    redis.call('HSET', key, 'conversation_id', conv)
    redis.call('ZADD', k('events', 'cv', conv), seq, id)
  end
  if has_raw == '1' then
    redis.call('HSET', key, 'raw', raw)
  end
  redis.call('ZADD', k('events'), seq, id)
  redis.call('ZADD', k('events', 'rcv'), now, id)
  if held == '1' then
    redis.call('ZADD', k('held', ch), seq, id)
  end
  return seq
end

-- Sets a lane's due time (or its worker's hold), or removes it when nothing is queued.
-- Returns when its head is due, or false when the lane is empty.
local function set_lane(lk, hold)
  local head = redis.call('ZRANGE', k('lq', lk), 0, 0)
  if #head == 0 then
    lane_gone(lk)
    redis.call('HDEL', k('lease'), lk)
    redis.call('SREM', k('dlanes', dest_of(lk)), lk)
    return false
  end
  local due = tonumber(redis.call('HGET', k('dl', head[1]), 'next_attempt_ms') or '0') or 0
  local at = due
  if hold then
    at = math.max(hold, due)
  else
    redis.call('HDEL', k('lease'), lk)
  end
  lane_due(lk, at)
  return due
end

local function set_or_clear(key, field, value)
  if value == nil or value == '' then
    redis.call('HDEL', key, field)
  else
    redis.call('HSET', key, field, value)
  end
end

-- The guard of a versioned record (agents, teams): returns its current version (false when it
-- does not exist) and, when the write must not go ahead, the reply to give: a create
-- (`expected` empty) of a record that exists, an update of one that does not, or 'RETRY' when
-- the version moved since the caller read it.
local function version_guard(key, expected, what)
  local version = redis.call('HGET', key, 'version')
  if expected == '' then
    if version then
      return version, redis.error_reply('EXISTS ' .. what)
    end
  elseif not version then
    return version, redis.error_reply('NOTFOUND no such ' .. what)
  elseif version ~= expected then
    return version, 'RETRY'
  end
  return version, nil
end
