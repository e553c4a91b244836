/* Default map weights for assigning maps to "all maps" game servers: the four
 * continents carry most players; the Deeprun Tram and every dungeon, raid,
 * battleground and arena map of 3.3.5a are light. Operators override or
 * extend this with [discovery] map_weights. */
#include "mapassign.h"

#define W(map, weight) {map, weight}

const map_weight default_map_weights[] = {
    /* continents */
    W(0, 100), W(1, 100), W(530, 50), W(571, 120),
    /* the Deeprun Tram (its own map between Stormwind and Ironforge) */
    W(369, 1),
    /* heavier instances: Ulduar, the Ebon Hold */
    W(603, 2), W(609, 2),
    /* classic dungeons and raids */
    W(33, 1), W(34, 1), W(36, 1), W(43, 1), W(47, 1), W(48, 1), W(70, 1),
    W(90, 1), W(109, 1), W(129, 1), W(189, 1), W(209, 1), W(229, 1),
    W(230, 1), W(249, 1), W(289, 1), W(309, 1), W(329, 1), W(349, 1),
    W(389, 1), W(409, 1), W(429, 1), W(469, 1), W(509, 1), W(531, 1),
    W(533, 1),
    /* The Burning Crusade */
    W(269, 1), W(532, 1), W(534, 1), W(540, 1), W(542, 1), W(543, 1),
    W(544, 1), W(545, 1), W(546, 1), W(547, 1), W(548, 1), W(550, 1),
    W(552, 1), W(553, 1), W(554, 1), W(555, 1), W(556, 1), W(557, 1),
    W(558, 1), W(560, 1), W(564, 1), W(565, 1), W(568, 1), W(580, 1),
    W(585, 1),
    /* Wrath of the Lich King */
    W(574, 1), W(575, 1), W(576, 1), W(578, 1), W(595, 1), W(599, 1),
    W(600, 1), W(601, 1), W(602, 1), W(604, 1), W(608, 1), W(615, 1),
    W(616, 1), W(619, 1), W(624, 1), W(631, 1), W(632, 1), W(649, 1),
    W(650, 1), W(658, 1), W(668, 1), W(724, 1),
    /* battlegrounds and arenas */
    W(30, 1), W(489, 1), W(529, 1), W(566, 1), W(607, 1), W(628, 1),
    W(559, 1), W(562, 1), W(572, 1), W(617, 1), W(618, 1),
};

const size_t default_map_weight_count =
    sizeof(default_map_weights) / sizeof(default_map_weights[0]);
