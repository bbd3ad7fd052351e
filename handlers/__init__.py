"""aiogram routers, one per feature; the composition root includes what this module lists."""
