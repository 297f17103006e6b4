include $(sort $(wildcard $(BR2_EXTERNAL_ATEMSYS_PATH)/package/*/*.mk))
