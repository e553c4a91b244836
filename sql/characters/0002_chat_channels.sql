-- chat plugin (ChatService channels): what AzerothCore's channel tables do
-- not hold. AzerothCore keeps custom channels in `channels` (announce,
-- ownership, password, lastUsed) and their bans in `channels_bans`; the core
-- keeps membership, member flags and the moderation switch in memory only,
-- and nothing makes a channel name unique per team. Built-in channels
-- (General, Trade, LocalDefense, LookingForGroup...) are not stored at all.

-- One row per channel the cluster knows, built-in or custom. The primary key
-- is the channel's identity (team + lower-case name), so two writers cannot
-- create the same channel twice; ac_channel_id links a custom channel to
-- its AzerothCore `channels` row.
CREATE TABLE IF NOT EXISTS stratus_chat_channel (
  team TINYINT UNSIGNED NOT NULL COMMENT 'v1.TeamID: 0 Alliance, 1 Horde, 2 neutral',
  channel_key VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
    COMMENT 'the channel name in lower case',
  name VARCHAR(100) NOT NULL COMMENT 'the name as first joined',
  dbc_id INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'ChatChannels.dbc id of a built-in channel, 0 custom',
  flags TINYINT UNSIGNED NOT NULL COMMENT 'ChannelFlags: 0x01 custom, 0x04 trade, 0x08 not LFG, 0x10 general, 0x20 city, 0x40 LFG',
  moderated TINYINT UNSIGNED NOT NULL DEFAULT 0 COMMENT '1: only the owner, moderators and voiced members speak',
  ac_channel_id INT UNSIGNED NULL DEFAULT NULL COMMENT 'channels.channelId of a custom channel',
  PRIMARY KEY (team, channel_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus chat plugin: channels';

-- Channel members and their flags, so membership survives a stratusd
-- restart while the players stay online on their gateways. Rows go when a
-- player leaves, is kicked or banned, or logs out.
CREATE TABLE IF NOT EXISTS stratus_chat_member (
  team TINYINT UNSIGNED NOT NULL,
  channel_key VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  guid INT UNSIGNED NOT NULL COMMENT 'characters.guid',
  name VARCHAR(12) NOT NULL COMMENT 'characters.name when joining',
  flags TINYINT UNSIGNED NOT NULL COMMENT 'ChannelMemberFlags: 0x01 owner, 0x02 moderator, 0x04 voiced, 0x08 muted',
  join_seq BIGINT UNSIGNED NOT NULL COMMENT 'join order within the channel',
  joined_at INT UNSIGNED NOT NULL COMMENT 'unix time',
  PRIMARY KEY (team, channel_key, guid),
  KEY idx_guid (guid),
  CONSTRAINT fk_stratus_chat_member_channel FOREIGN KEY (team, channel_key)
    REFERENCES stratus_chat_channel (team, channel_key) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus chat plugin: channel members';
