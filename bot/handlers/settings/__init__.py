"""Setup (/start), the settings menu and reminders: one person's profile, one question or menu at a time.

Which setup question is open comes from the stored profile (see `bot.domain.onboarding`), or,
while changing a setting, from `UserData.editing`. Menu buttons are valid only on the menu
message that is current (`UserData.menu_message`), so an old menu's buttons have passed.
"""
